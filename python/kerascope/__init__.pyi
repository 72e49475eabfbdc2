import os
from typing import IO, Any, Dict, Iterable, Iterator, KeysView, List, Literal, Optional, Union

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
Config = Union[str, "os.PathLike[str]", Dict[str, Any], None]

__version__: str

class KerascopeError(ValueError): ...

class Record:
    """A JSON object of a result: its keys are attributes (and items)."""
    def __getattr__(self, name: str) -> Any: ...
    def __getitem__(self, key: str) -> Any: ...
    def __contains__(self, key: object) -> bool: ...
    def __iter__(self) -> Iterator[str]: ...
    def keys(self) -> KeysView[str]: ...
    def get(self, key: str, default: Any = ...) -> Any: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Result(Record):
    """A command's result: ``to_dict()`` is the CLI's JSON document, ``str()`` its text."""
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...
    def _repr_html_(self) -> str: ...

class Summary(Result):
    schema: str
    file: str
    format: str
    keras_version: Optional[str]
    model: Record
    layers: List[Record]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    optimizer_params: Optional[int]
    findings: List[Record]

class Inspection(Result):
    schema: str
    files: List[Record]
    file: str
    format: str
    keras_version: Optional[str]
    tensors: List[Record]

class CheckReport(Result):
    schema: str
    files: List[Record]
    totals: Record
    exit_code: int

class Formula(Result): ...

class Verification(Result):
    matches: bool

class Diff(Result):
    equivalent: bool
    changes: List[Record]
    notes: List[Record]

class Rules(Result):
    rules: List[Record]

class Comparison(Result):
    equivalent: bool
    layers: List[Record]
    total_params: Record

def summary(src: Source, *, config: Config = None) -> Summary: ...
def inspect(src: Source) -> Inspection: ...
def check(
    paths: Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]],
    *,
    deep: bool = False,
    jobs: Optional[int] = None,
    fail_on: Literal["info", "warning", "error", "never"] = "error",
) -> CheckReport: ...
def formula(class_name: str, /, **config: Union[int, str, bool, Iterable[int], None]) -> Formula: ...
def verify(src: Optional[Source], summary_text: Union[str, "os.PathLike[str]"]) -> Verification: ...
def diff(a: Source, b: Source) -> Diff: ...
def rule(code: Optional[str] = None) -> Rules: ...
def compare(model: Any, path: Source, *, config: Config = None) -> Comparison: ...
