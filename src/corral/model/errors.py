"""One exception family for all of corral. Errors are values with names: each
carries a stable ``code`` (tests assert codes, not text), the element it is
about and a one-line message that the faces (CLI, API) print as they are."""

from __future__ import annotations

from dataclasses import dataclass, field


class CorralError(Exception):
    """Base of every error corral raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code


class ConfigError(CorralError):
    """Bad configuration: names the element id and, where there is one, the field."""

    code = "invalid-config"

    def __init__(
        self,
        message: str,
        *,
        element: str | None = None,
        field: str | None = None,
        code: str | None = None,
    ) -> None:
        where = ""
        if element is not None:
            where = f"{element}" + (f".{field}" if field else "") + ": "
        super().__init__(where + message, code=code)
        self.element = element
        self.field = field


@dataclass
class Problems:
    """Collects every problem with an input before anything is written."""

    items: list[ConfigError] = field(default_factory=list)

    def add(
        self,
        message: str,
        *,
        element: str | None = None,
        field: str | None = None,
        code: str = "invalid-config",
    ) -> None:
        self.items.append(ConfigError(message, element=element, field=field, code=code))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


class ValidationFailed(CorralError):
    """Several configuration problems, reported at once."""

    code = "validation-failed"

    def __init__(self, problems: list[ConfigError]) -> None:
        first = problems[0].message if problems else "invalid input"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)
        self.problems = problems

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]


class ParseError(CorralError):
    """Input that is not what it claims to be (not XML, not a CIB, ...)."""

    code = "parse-error"


class ConflictError(CorralError):
    """A concurrent change: the revision read is no longer current."""

    code = "conflict"

    def __init__(self, message: str, *, revision: int | None = None) -> None:
        super().__init__(message)
        self.revision = revision


class NotFound(CorralError):
    code = "not-found"
