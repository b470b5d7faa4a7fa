// publishing.js: articles written, edited, published and unpublished, with a
// static web site rendered from the events. A sample Eventscope domain pack
// that doubles as a tutorial for the "page" read model: the kind of
// projection that writes finished HTML documents to a page storage, the way a
// static-site generator feeds a CDN.
//
//   article-<slug>   Article   DraftArticle, EditArticle, PublishArticle, UnpublishArticle
//
// Lifecycle of an article:
//
//   DraftArticle ─► draft ─PublishArticle─► published ─UnpublishArticle─► unpublished
//                    ▲  EditArticle            │ EditArticle                │ EditArticle,
//                    └──(any time)             ▼ (a new revision,           ▼ PublishArticle
//                                               published by PublishArticle)
//
// Edits never change what readers see until the article is published again:
// the article keeps a revision counter, and PublishArticle publishes the
// current revision. So only two events matter to the web site,
// ArticlePublished and ArticleUnpublished, and ArticlePublished carries the
// whole article (slug, title, body, author): the page projection renders it
// from that one event, without reading any other state.
//
// Read models: Site (pages /articles/<slug>.html and /index.html) and
// Articles (a table for the editors).
//
//     node resources/harness/harness.js resources/domains/publishing.js resources/domains/cases/publishing.cases.json
//
// Language level: ES2017 without object spread, optional chaining (?.) or
// nullish coalescing (??): it must run in Qt's QJSEngine as well as in Node.js.
(function () {
    "use strict";

    // ---------------------------------------------------------------- helpers

    const SLUG_PATTERN = "[a-z0-9]+(?:-[a-z0-9]+)*"; // "hello-world": lower case, dashes between words

    // HTML escaping for text and attribute values. Everything that comes from
    // a command (title, body, author, even the slug) passes through it before
    // it lands in a page: a title such as <script>alert(1)</script> must show
    // up as text, not run. & first, or the other replacements would be
    // escaped twice.
    function escapeHtml(text) {
        return String(text)
            .replace(/&/g, "&amp;")
            .replace(/</g, "&lt;")
            .replace(/>/g, "&gt;")
            .replace(/"/g, "&quot;")
            .replace(/'/g, "&#39;");
    }

    // The body is plain text: blank lines separate paragraphs, a single line
    // break stays a line break. Escaped first, then given its markup.
    function renderBody(body) {
        return body
            .replace(/\r\n?/g, "\n")
            .split(/\n\s*\n/)
            .map(function (p) { return p.trim(); })
            .filter(function (p) { return p !== ""; })
            .map(function (p) { return "<p>" + escapeHtml(p).replace(/\n/g, "<br>\n") + "</p>"; })
            .join("\n");
    }

    // "2026-03-02T10:00:00.000Z" -> "2026-03-02": enough for a byline.
    function day(iso) {
        return String(iso).slice(0, 10);
    }

    function articlePath(slug) {
        return "/articles/" + slug + ".html";
    }

    // A complete HTML document. Pages are stored and served as they are, so
    // they carry their charset and title.
    function htmlPage(title, content) {
        return "<!DOCTYPE html>\n" +
            "<html lang=\"en\">\n" +
            "<head>\n" +
            "<meta charset=\"utf-8\">\n" +
            "<title>" + escapeHtml(title) + "</title>\n" +
            "</head>\n" +
            "<body>\n" +
            content + "\n" +
            "</body>\n" +
            "</html>\n";
    }

    function renderArticle(a) {
        return htmlPage(a.title,
            "<nav><a href=\"/index.html\">All articles</a></nav>\n" +
            "<article>\n" +
            "<h1>" + escapeHtml(a.title) + "</h1>\n" +
            "<p class=\"byline\">By " + escapeHtml(a.author) + ", " + escapeHtml(day(a.publishedAt)) + "</p>\n" +
            renderBody(a.body) + "\n" +
            "</article>");
    }

    // entries: [{ slug, title, author, publishedAt }], newest first.
    function renderIndex(entries) {
        const list = entries.length === 0
            ? "<p>No articles yet.</p>"
            : "<ul>\n" + entries.map(function (e) {
                return "<li><a href=\"" + escapeHtml(articlePath(e.slug)) + "\">" + escapeHtml(e.title) + "</a> " +
                    "<span class=\"byline\">by " + escapeHtml(e.author) + ", " + escapeHtml(day(e.publishedAt)) + "</span></li>";
            }).join("\n") + "\n</ul>";
        return htmlPage("Articles", "<h1>Articles</h1>\n" + list);
    }

    // Newest first; the slug breaks ties so the order never depends on the
    // order of events with the same timestamp.
    function byNewest(a, b) {
        if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt ? 1 : -1;
        return a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0;
    }

    // The index's list as the Site projection stored it, or [] for a site
    // without an index yet.
    function indexEntries(page) {
        return page && page.data && Array.isArray(page.data.articles) ? page.data.articles.slice() : [];
    }

    // Rejection for commands on an article that was never drafted, or null.
    function requireArticle(state, ctx) {
        return state.status === "none" ? ctx.reject("unknown article " + ctx.stream + ": draft it first") : null;
    }

    const pack = {
        name: "publishing",
        version: "1.0.0",
        description: "Articles drafted, edited, published and unpublished; a static site rendered from the events.",

        aggregates: {
            // Stream "article-<slug>". The slug is the article's address on the
            // site, so it must be unique; making it the stream id gets that for
            // free, since a stream is started only once (DraftArticle on an
            // existing stream is rejected).
            Article: {
                // New stream ids look like this (the workload generator and the GUI's "new id" use it).
                streamTemplate: "article-{word}-{n}",
                description: "An article; stream article-<slug>. draft → published → unpublished (and published again), edited at any time.",

                initialState: {
                    status: "none", // none | draft | published | unpublished
                    slug: "", title: "", body: "", author: "",
                    revision: 0,          // bumped by every draft and edit
                    publishedRevision: 0  // the revision readers see (0: never published)
                },

                commands: {
                    DraftArticle: {
                        description: "Starts an article as a draft.",
                        fields: {
                            // Optional: the slug is the stream id after
                            // "article-". When given, it must agree.
                            slug: { type: "string", pattern: SLUG_PATTERN, maxLength: 80, description: "Defaults to the stream id after article-" },
                            title: { type: "string", required: true, minLength: 1, maxLength: 200 },
                            body: { type: "string", required: true, minLength: 1, maxLength: 100000, description: "Plain text; blank lines separate paragraphs" },
                            author: { type: "string", required: true, minLength: 1, maxLength: 80 }
                        },
                        decide(state, command, ctx) {
                            const d = command.data;
                            if (state.status !== "none") return ctx.reject("article " + state.slug + " already exists");
                            if (ctx.stream.indexOf("article-") !== 0)
                                return ctx.reject("articles live on streams named article-<slug>, not " + ctx.stream);
                            const slug = ctx.stream.slice("article-".length);
                            if (d.slug !== undefined && d.slug !== slug)
                                return ctx.reject("the slug must be the stream id's suffix", { slug: "must be " + slug + " on stream " + ctx.stream });
                            if (!new RegExp("^(?:" + SLUG_PATTERN + ")$").test(slug))
                                return ctx.reject("the stream id does not end in a valid slug", { slug: "must match " + SLUG_PATTERN });
                            return [{
                                type: "ArticleDrafted",
                                data: { slug: slug, title: d.title, body: d.body, author: d.author, draftedAt: ctx.now }
                            }];
                        }
                    },

                    EditArticle: {
                        description: "Changes the title and/or the body. A published article shows the change once published again.",
                        fields: {
                            title: { type: "string", minLength: 1, maxLength: 200 },
                            body: { type: "string", minLength: 1, maxLength: 100000 }
                        },
                        decide(state, command, ctx) {
                            const refused = requireArticle(state, ctx);
                            if (refused) return refused;
                            const d = command.data;
                            if (d.title === undefined && d.body === undefined)
                                return ctx.reject("nothing to edit: give a title, a body or both",
                                                  { title: "title or body required", body: "title or body required" });
                            // Only what changes goes into the event. An edit
                            // that changes nothing is refused rather than
                            // recorded: it would make a revision with no news.
                            const changes = { slug: state.slug, revision: state.revision + 1, editedAt: ctx.now };
                            if (d.title !== undefined && d.title !== state.title) changes.title = d.title;
                            if (d.body !== undefined && d.body !== state.body) changes.body = d.body;
                            if (changes.title === undefined && changes.body === undefined)
                                return ctx.reject("no change: the title and body are already as given");
                            return [{ type: "ArticleEdited", data: changes }];
                        }
                    },

                    PublishArticle: {
                        description: "Puts the current revision on the site.",
                        // No fields: the article's state says everything.
                        fields: {},
                        decide(state, command, ctx) {
                            const refused = requireArticle(state, ctx);
                            if (refused) return refused;
                            if (state.status === "published" && state.publishedRevision === state.revision)
                                return ctx.reject("article " + state.slug + " is already published (revision " + state.revision +
                                                  "): edit it to publish a new revision");
                            // The whole article rides along: the Site
                            // projection renders the page from this event alone.
                            return [{
                                type: "ArticlePublished",
                                data: {
                                    slug: state.slug, title: state.title, body: state.body, author: state.author,
                                    revision: state.revision, publishedAt: ctx.now
                                }
                            }];
                        }
                    },

                    UnpublishArticle: {
                        description: "Takes the article off the site; it stays as a draft that can be published again.",
                        fields: {
                            reason: { type: "string", maxLength: 200, description: "Why (optional)" }
                        },
                        decide(state, command, ctx) {
                            const refused = requireArticle(state, ctx);
                            if (refused) return refused;
                            if (state.status !== "published") return ctx.reject("article " + state.slug + " is not published");
                            return [{
                                type: "ArticleUnpublished",
                                data: { slug: state.slug, reason: command.data.reason || "", unpublishedAt: ctx.now }
                            }];
                        }
                    }
                },

                // Pure (state, event) => next state; a new object every time.
                evolve: {
                    ArticleDrafted(state, event) {
                        const d = event.data;
                        return Object.assign({}, state, { status: "draft", slug: d.slug, title: d.title, body: d.body, author: d.author, revision: 1 });
                    },
                    ArticleEdited(state, event) {
                        const d = event.data;
                        const next = Object.assign({}, state, { revision: d.revision });
                        if (d.title !== undefined) next.title = d.title;
                        if (d.body !== undefined) next.body = d.body;
                        return next;
                    },
                    ArticlePublished(state, event) {
                        return Object.assign({}, state, { status: "published", publishedRevision: event.data.revision });
                    },
                    ArticleUnpublished(state) {
                        return Object.assign({}, state, { status: "unpublished" });
                    }
                }
            }
        },

        // This domain needs no process manager: nothing happens elsewhere
        // because an article changed.
        reactions: {},

        // Read models. key(event) names the row(s) or page(s) an event
        // touches: a string, an array of strings, or null to skip it. The
        // handler for the event's type gets (current, event, key): current is
        // what is stored under that key (null when nothing is), and the
        // handler returns the new value, or null to delete it.
        projections: {
            // kind "page": each key is a path in the page storage, and each
            // value a page { title, html, data }. html is what is served;
            // data is free JSON the projection keeps for itself, here the
            // list of published articles the index is rendered from. Every
            // page written or deleted is invalidated in the (CDN) cache.
            Site: {
                kind: "page",
                description: "The public site: one page per published article and an index of them.",
                key(event) {
                    if (event.type !== "ArticlePublished" && event.type !== "ArticleUnpublished") return null;
                    // One event, two pages: the article's and the index.
                    return [articlePath(event.data.slug), "/index.html"];
                },
                handlers: {
                    ArticlePublished(page, event, key) {
                        const d = event.data;
                        const entry = { slug: d.slug, title: d.title, author: d.author, publishedAt: d.publishedAt };
                        if (key === "/index.html") {
                            // Replace the article's entry (a new revision may
                            // have a new title), then sort.
                            const entries = indexEntries(page)
                                .filter(function (e) { return e.slug !== d.slug; })
                                .concat([entry])
                                .sort(byNewest);
                            return { title: "Articles", html: renderIndex(entries), data: { articles: entries } };
                        }
                        return { title: d.title, html: renderArticle(d), data: entry };
                    },
                    ArticleUnpublished(page, event, key) {
                        // null deletes the article's page (and purges it
                        // from the cache); the index is rendered again
                        // without it, and stays even when empty.
                        if (key !== "/index.html") return null;
                        const entries = indexEntries(page).filter(function (e) { return e.slug !== event.data.slug; });
                        return { title: "Articles", html: renderIndex(entries), data: { articles: entries } };
                    }
                }
            },

            // kind "table": one row per key with the declared columns.
            Articles: {
                kind: "table",
                description: "Every article with its status, for the editors.",
                columns: {
                    slug: "text", title: "text", status: "text", author: "text",
                    revision: "integer", publishedRevision: "integer", publishedAt: "text", updatedAt: "text"
                },
                key(event) {
                    return event.data.slug || null;
                },
                // updatedAt is event.recordedAt, the store's timestamp of the
                // event: it is stored with the event, so a rebuild of the
                // table reproduces the same rows.
                handlers: {
                    ArticleDrafted(row, event) {
                        const d = event.data;
                        return {
                            slug: d.slug, title: d.title, status: "draft", author: d.author,
                            revision: 1, publishedRevision: 0, publishedAt: "", updatedAt: event.recordedAt
                        };
                    },
                    ArticleEdited(row, event) {
                        if (!row) return null;
                        const next = Object.assign({}, row, { revision: event.data.revision, updatedAt: event.recordedAt });
                        if (event.data.title !== undefined) next.title = event.data.title;
                        return next;
                    },
                    ArticlePublished(row, event) {
                        if (!row) return null;
                        return Object.assign({}, row, {
                            status: "published", title: event.data.title, publishedRevision: event.data.revision,
                            publishedAt: event.data.publishedAt, updatedAt: event.recordedAt
                        });
                    },
                    ArticleUnpublished(row, event) {
                        if (!row) return null;
                        return Object.assign({}, row, { status: "unpublished", updatedAt: event.recordedAt });
                    }
                }
            }
        },

        upcasters: {}
    };

    // In Node.js, require() returns module.exports; Eventscope takes the value
    // of the file's last expression, which is this function's return value.
    if (typeof module !== "undefined" && module.exports) module.exports = pack;
    return pack;
})();
