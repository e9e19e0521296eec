"""Knowledge-base errors; the API layer maps them to HTTP status codes."""

from __future__ import annotations


class KnowledgeBaseError(Exception):
    """Root of every knowledge-base error."""


class ImportRejected(KnowledgeBaseError):
    """An import file had bad lines; nothing of it was kept."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))

    def as_json(self) -> dict[str, object]:
        """What a client is told: the summary and every bad line, so it can fix them all."""
        return {"detail": f"import rejected, nothing was kept: {self}", "problems": self.problems}


class ReplayRejected(ImportRejected):
    """A test-run file had bad lines; nothing of it was run."""

    def as_json(self) -> dict[str, object]:
        return {"detail": f"test run rejected, nothing was run: {self}", "problems": self.problems}


class ArticleNotFound(KnowledgeBaseError):
    def __init__(self, article_id: str) -> None:
        self.article_id = article_id
        super().__init__(f"no article with id {article_id!r}")


class ArticleExists(KnowledgeBaseError):
    def __init__(self, article_id: str) -> None:
        super().__init__(
            f"an article with id {article_id!r} already exists:"
            " choose another id, or edit that article"
        )


class NoAnswer(KnowledgeBaseError):
    """Publishing an article whose body is empty: customers would get its title alone."""

    def __init__(self, article_id: str, *, version: int | None = None, edit: bool = False) -> None:
        if edit:  # a published article saved (or its changes kept) with its body emptied
            why = (
                f"article {article_id!r} is published, and without a body customers would be"
                " answered with its title alone: write the answer, or archive the article first"
            )
        elif version is None:
            why = f"article {article_id!r} has no body: write the answer before publishing it"
        else:  # a rollback of a published article to a version before its answer was written
            why = (
                f"version {version} of article {article_id!r} has no body, and the article is"
                " published: roll back to a version with its answer, or archive it first"
            )
        super().__init__(why)


class VersionNotFound(KnowledgeBaseError):
    def __init__(self, article_id: str, version: int) -> None:
        super().__init__(f"article {article_id!r} has no version {version}")


class GapNotFound(KnowledgeBaseError):
    def __init__(self, gap_ids: list[int]) -> None:
        super().__init__(f"no open content gaps with ids {gap_ids}")
