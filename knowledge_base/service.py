"""The knowledge base as the rest of Cascade uses it: import, edit, look up, search.

The work is done next door: reading import files (importing.py), versions (versions.py), the
search indexes (indexing.py), the decision (search.py) and content gaps (gaps.py); this class
puts them in order and holds the lock that keeps writes and the index in step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path

from core.clock import Clock, SystemClock, iso
from core.db import Storage
from core.language import DEFAULT, LANGUAGES, normalise
from knowledge_base.calibration import Calibration, Targets
from knowledge_base.embedder import Embedder, NoModel
from knowledge_base.errors import ArticleExists, ArticleNotFound, NoAnswer
from knowledge_base.following import Following, bump_version
from knowledge_base.gaps import GapLog, unique
from knowledge_base.ids import new_article_id
from knowledge_base.indexing import SearchIndex
from knowledge_base.languages import question_language, with_language
from knowledge_base.lexical import LexicalIndex
from knowledge_base.search import Decision, Hit, SearchOutcome, Thresholds, decide, tuned_for
from knowledge_base.sections import Section
from knowledge_base.store import Article, ArticleIn, ArticleStore, Embedded, searchable_texts
from knowledge_base.versions import Version, Versions, as_input

log = logging.getLogger(__name__)


class KnowledgeBase:
    def __init__(
        self,
        *,
        storage: Storage,
        embedder: Embedder,
        index_path: Path,
        thresholds: Thresholds,
        overrides: Mapping[str, float] | None = None,
        targets: Targets | None = Targets(),
        clock: Clock | None = None,
        ivf_from: int = 50_000,
        nprobe: int = 16,
        candidates: int = 10,
        embedders: Mapping[str, Embedder] | None = None,
        batch_window_ms: float = 0.0,
        batch_max: int = 16,
    ) -> None:
        """`embedder` embeds English (and every language `embedders` gives none for);
        `thresholds` and `overrides` are its limits. Each other language's limits are its
        model's standard ones (`tuned_for`), calibrated on its own articles. `batch_window_ms`,
        `batch_max`: questions searched together are embedded together (Section)."""
        self.candidates = candidates
        self.storage = storage
        self.store = ArticleStore(storage)
        self.clock = clock or SystemClock()
        self._write_lock = threading.RLock()
        self._versions = Versions(storage=storage, store=self.store)
        # The version is read before the indexes are loaded: a change after it shows.
        self.following = Following(storage, lock=self._write_lock)
        models = {language: (embedders or {}).get(language, embedder) for language in LANGUAGES}
        for language, model in models.items():  # each language learns its own stored model
            if isinstance(model, NoModel) and language != DEFAULT:
                models[language] = NoModel(model.name, model.dim)
        self.sections = {
            language: Section(
                language=language,
                storage=storage,
                store=self.store,
                embedder=model,
                index_path=index_path
                if language == DEFAULT
                else index_path.with_name(f"{index_path.stem}.{language}{index_path.suffix}"),
                thresholds=thresholds if model.name == embedder.name else tuned_for(model.name),
                overrides=(overrides or {}) if language == DEFAULT else {},
                targets=targets,
                ivf_from=ivf_from,
                nprobe=nprobe,
                candidates=candidates,
                batch_window_ms=batch_window_ms,
                batch_max=batch_max,
            )
            for language, model in models.items()
        }
        self.gaps = GapLog(storage=storage, embedders=models, clock=self.clock)

    # -- the English section, as the rest of Cascade has always used it -----------------------

    @property
    def english(self) -> Section:
        return self.sections[DEFAULT]

    @property
    def embedder(self) -> Embedder:
        return self.english.embedder

    @property
    def index(self) -> SearchIndex:
        return self.english.index

    @property
    def lexical(self) -> LexicalIndex:
        return self.english.lexical

    @property
    def standard(self) -> Thresholds:
        return self.english.standard

    @property
    def overrides(self) -> dict[str, float]:
        return self.english.overrides

    @property
    def targets(self) -> Targets | None:
        return self.english.targets

    @targets.setter
    def targets(self, targets: Targets | None) -> None:
        for section in self.sections.values():
            section.targets = targets

    @property
    def calibration(self) -> Calibration:
        return self.english.calibration

    @property
    def thresholds(self) -> Thresholds:
        """The English limits: calibrated, with any the settings give instead."""
        return self.english.thresholds

    def thresholds_for(self, question: str) -> Thresholds:
        """The limits of the articles `question` is searched among."""
        return self.sections[question_language(question)].thresholds

    def main_language(self) -> str:
        """The language most published articles are written in (English on a tie)."""
        return max(
            self.sections, key=lambda lang: (self.sections[lang].index.size, lang == DEFAULT)
        )

    def calibrate(self) -> Calibration:
        """Calibrate every language again; the English calibration."""
        for section in self.sections.values():
            section.calibration = section.calibrate()
        return self.calibration

    def recalibrate(self) -> None:
        for section in self.sections.values():
            section.recalibrate()

    def refresh(self, article_ids: list[str]) -> None:
        """Every language's indexes follow the changed articles (one may change language)."""
        for section in self.sections.values():
            section.index.refresh(article_ids)

    def follow(self) -> None:
        """Changes another replica (or a command) wrote, into this one's indexes and limits
        (knowledge_base/following.py)."""
        self.following.look(self)

    # -- writing ------------------------------------------------------------------------------

    def _embed(self, articles: list[ArticleIn]) -> list[Embedded]:
        """Each article's texts (NFKC) embedded by its language's model; `articles` must have
        their language (`with_language`)."""
        out: list[Embedded] = []
        for language, section in self.sections.items():
            texts = [
                (a.id, kind, normalise(text))
                for a in articles
                if a.language == language
                for kind, text in searchable_texts(a)
            ]
            vectors = section.embedder.encode([text for _, _, text in texts])
            out += [
                Embedded(aid, kind, text, vec)
                for (aid, kind, text), vec in zip(texts, vectors, strict=True)
            ]
        return out

    def _commit(
        self,
        article: ArticleIn,
        *,
        status: str,
        author: str | None,
        change: str,
        vectors: list[Embedded] | None,
    ) -> Article:
        """Write one article's next version and update its place in the index."""
        with self._write_lock:
            with self.storage.write() as db:
                self._versions.write(
                    db,
                    article,
                    status=status,
                    author=author,
                    change=change,
                    at=iso(self.clock.now()),
                    vectors=vectors,
                )
                bumped = bump_version(db)
            self.refresh([article.id])
            self.recalibrate()
            self.following.wrote(bumped)
        return self._get(article.id)

    def import_with_status(self, articles: list[tuple[ArticleIn, str]], *, author: str) -> int:
        """Import articles that each say their status (Markdown front matter): the published
        ones in one all-or-nothing import; drafts and archived ones after it, each moved out of
        search before its new text is saved, so no draft is ever searched."""
        live = [article for article, status in articles if status == "published"]
        if live:
            self.import_articles(live, author=author)
        for article, status in articles:
            if status == "published":
                continue
            current = self.article(article.id)
            if current is None:
                self.create(article, author=author)
            if current is None or current.status != status:
                self.set_status(article.id, status, author=author)
            if current is not None:
                self.save(article.id, article, author=author, change="imported")
        return len(articles)

    def import_articles(self, articles: list[ArticleIn], *, author: str | None = "import") -> int:
        """Store and publish the articles (replacing any with the same id), all or nothing.

        Embedding happens before the transaction; the index is updated in place after it.
        """
        articles = [with_language(a) for a in articles]
        vectors = self._embed(articles)
        by_article: dict[str, list[Embedded]] = {}
        for item in vectors:
            by_article.setdefault(item.article_id, []).append(item)
        at = iso(self.clock.now())
        with self._write_lock:
            with self.storage.write() as db:
                for article in articles:
                    self._versions.write(
                        db,
                        article,
                        status="published",
                        author=author,
                        change="imported",
                        at=at,
                        vectors=by_article.get(article.id, []),
                    )
                bumped = bump_version(db)
            self.refresh([a.id for a in articles])
            self.recalibrate()
            self.following.wrote(bumped)
        return len(articles)

    def create(self, article: ArticleIn, *, author: str | None) -> Article:
        """A new draft: stored and embedded, not searched until it is published."""
        article = with_language(article)
        vectors = self._embed([article])
        with self._write_lock, self.storage.write() as db:
            if self.store.get(article.id) is not None:
                raise ArticleExists(article.id)
            self._versions.write(
                db,
                article,
                status="draft",
                author=author,
                change="created",
                at=iso(self.clock.now()),
                vectors=vectors,
            )
        return self._get(article.id)

    def save(
        self, article_id: str, article: ArticleIn, *, author: str | None, change: str = "edited"
    ) -> Article:
        """Every save that changes something is a new version (one that changes nothing returns
        the article as it is); a published article's edit is live on return."""
        current = self._get(article_id)
        article = with_language(article.model_copy(update={"id": article_id}))
        if article == as_input(current):
            return current
        if current.status == "published" and not article.body.strip():
            raise NoAnswer(article_id, edit=True)
        vectors = self._embed([article])
        return self._commit(
            article, status=current.status, author=author, change=change, vectors=vectors
        )

    def set_status(self, article_id: str, status: str, *, author: str | None) -> Article:
        """Publish or archive: search reflects it on return (the index is updated in place)."""
        current = self._get(article_id)
        if current.status == status:
            return current
        if status == "published" and not current.body.strip():
            raise NoAnswer(article_id)  # imports refuse such articles as they are read
        change = {"published": "published", "archived": "archived", "draft": "unpublished"}[status]
        return self._commit(
            as_input(current), status=status, author=author, change=change, vectors=None
        )

    def rollback(self, article_id: str, version: int, *, author: str | None) -> Article:
        """Bring back an earlier version's content as a new version (its status is kept)."""
        current = self._get(article_id)
        article = with_language(self._versions.content(article_id, version))
        if current.status == "published" and not article.body.strip():
            raise NoAnswer(article_id, version=version)
        vectors = self._embed([article])
        return self._commit(
            article,
            status=current.status,
            author=author,
            change=f"rolled back to version {version}",
            vectors=vectors,
        )

    # -- closing content gaps -----------------------------------------------------------------

    def draft_from_gaps(
        self, gap_ids: list[int], *, title: str | None, author: str | None
    ) -> Article:
        """A draft article whose example questions are the gaps' questions."""
        gaps = self.gaps.take(gap_ids)
        questions = unique([g.question for g in gaps])
        title = (title or questions[0].rstrip("?!. ")).strip()
        title = title[:1].upper() + title[1:]
        article_id = new_article_id(title, taken=lambda i: self.store.get(i) is not None)
        draft = self.create(
            ArticleIn(id=article_id, title=title, questions=questions), author=author
        )
        self.gaps.close(gap_ids, draft.id)
        return draft

    def attach_gaps(self, gap_ids: list[int], article_id: str, *, author: str | None) -> Article:
        """Teach an existing article the gaps' questions as example questions."""
        gaps = self.gaps.take(gap_ids)
        current = self._get(article_id)
        questions = unique([*current.questions, *(g.question for g in gaps)])
        added = len(questions) - len(current.questions)
        updated = self.save(
            article_id,
            as_input(current).model_copy(update={"questions": questions}),
            author=author,
            change=f"added {added} example question{'s' if added != 1 else ''} from content gaps",
        )
        self.gaps.close(gap_ids, article_id)
        return updated

    # -- reading ------------------------------------------------------------------------------

    def _get(self, article_id: str) -> Article:
        article = self.store.get(article_id)
        if article is None:
            raise ArticleNotFound(article_id)
        return article

    def article(self, article_id: str) -> Article | None:
        return self.store.get(article_id)

    def versions(self, article_id: str) -> list[Version]:
        """Every version, newest first, with who, when, what changed and a diff from the one
        before."""
        self._get(article_id)
        return self._versions.history(article_id)

    def export(self) -> list[dict[str, object]]:
        """Every article, archived ones too, in the import format (plus status), by id: a
        backup that an import restores as it was."""
        return [a.as_dict() for a in self.store.all()]

    def listing(self, *, status: str | None = None, query: str | None = None) -> list[Article]:
        """Articles by id, of this status, with all these words (any order, NFKC) if given."""
        words, items = normalise(query or "").lower().split(), self.store.all()
        return [a for a in items if (status is None or a.status == status) and a.has_words(words)]

    def search(self, query: str, *, limit: int = 5) -> SearchOutcome:
        """Among the articles of the question's language (NFKC), rank by meaning, then let the
        words decide among the nearest: each of the `candidates` nearest articles scores its
        cosine plus `lexical_weight` times its lexical agreement with the question
        (knowledge_base/lexical.py). No articles in the question's language: a person (the
        other language's articles are not searched: README, "Knowledge search")."""
        self.follow()
        query = normalise(query)
        section = self.sections[question_language(query)]
        ranked = section.rank(query, limit=limit) if section.index.size else []
        decision, choices = decide(ranked, section.thresholds)
        keep = ranked[:choices] if decision is Decision.CLARIFY else ranked[:limit]
        articles = self.store.get_many([article_id for article_id, _ in keep])
        results = [
            Hit(article_id, articles[article_id].title, score, articles[article_id].skill)
            for article_id, score in keep
            if article_id in articles
        ]
        return SearchOutcome(decision, results)
