"""The data converter every casework client and worker uses.

* Pydantic payloads without the fields left at their defaults (``exclude_unset``):
  the decoding side fills them in from the same models, and every workflow input,
  result and activity input is stored in a history, so the ``null``s and empty
  lists were bytes in every case's history.
* A failure converter that sends validator rejections without a stack trace: a
  rejection is an answer to a person, not a fault, and formatting the trace
  (Python parses each frame's source for its carets) was a measurable part of a
  rejected Update's time.
"""

from __future__ import annotations

import temporalio.api.failure.v1
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, ToJsonOptions
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadConverter,
)
from temporalio.exceptions import ApplicationError

#: ``ApplicationError.type`` values sent without a stack trace.
QUIET_TYPES = frozenset({"ActionRejected"})


class QuietRejectionsFailureConverter(DefaultFailureConverter):
    """The default failure converter, minus the stack trace of :data:`QUIET_TYPES`."""

    def to_failure(
        self,
        exception: BaseException,
        payload_converter: PayloadConverter,
        failure: temporalio.api.failure.v1.Failure,
    ) -> None:
        """See base class."""
        if isinstance(exception, ApplicationError) and exception.type in QUIET_TYPES:
            exception.__traceback__ = None
        super().to_failure(exception, payload_converter, failure)


#: One JSON converter (and so one cache of pydantic type adapters) per process. The
#: SDK builds a payload converter for every workflow and every activation; each
#: ``PydanticPayloadConverter`` would bring its own adapter cache, so every cached
#: case kept its own compiled adapters (and rebuilt them in each workflow task).
_JSON = PydanticJSONPlainPayloadConverter(ToJsonOptions(exclude_unset=True))


class CompactPydanticPayloadConverter(CompositePayloadConverter):
    """Pydantic payloads that leave out the fields never set, one adapter cache shared."""

    def __init__(self) -> None:
        super().__init__(
            *(
                _JSON if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


DATA_CONVERTER = DataConverter(
    payload_converter_class=CompactPydanticPayloadConverter,
    failure_converter_class=QuietRejectionsFailureConverter,
)
