#include "timelineloader.h"

#include "eventstore.h"
#include "storewatcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QThread>

#include <algorithm>

Q_LOGGING_CATEGORY(lcTimelineLoader, "eventscope.timeline.loader", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {

namespace {

EventSummaryList reversed(EventSummaryList rows)
{
    std::reverse(rows.begin(), rows.end());
    return rows;
}

} // namespace

TimelineLoader::TimelineLoader(Generation generation, QObject *parent)
    : QObject(parent)
    , m_generation(std::move(generation))
{
}

TimelineLoader::~TimelineLoader() = default;

void TimelineLoader::openStore(const QString &path)
{
    // Read-only: the timeline never writes, and SQLite enforces it.
    auto store = EventStore::open(path, EventStore::Mode::ReadOnly);
    if (!store) {
        Q_EMIT failed(store.error().message);
        return;
    }
    m_own = std::move(*store);
}

void TimelineLoader::useStore(EventStore *store)
{
    m_borrowed = store;
}

void TimelineLoader::shutdown()
{
    m_own.reset();
    m_borrowed = nullptr;
    if (thread() != QCoreApplication::instance()->thread())
        thread()->quit();
}

void TimelineLoader::fetch(const TimelineRequest &request)
{
    if (isStale(request.generation))
        return;
    EventStore *store = m_own ? m_own.get() : m_borrowed.data();
    if (!store) {
        Q_EMIT failed(tr("The timeline has no open store to read."));
        return;
    }
    QElapsedTimer timer;
    timer.start();
    auto result = run(*store, request);
    // A dropped connection shows as a failed query, or as an empty store
    // (EventStore::headPosition reads 0 when its query fails).
    const bool suspect = result ? result->head == 0 : result.error().code != ErrorCode::Cancelled;
    if (suspect && m_own && store->isPostgres() && !StoreWatcher::answers(store)) {
        // The server dropped this thread's connection: reopen it once and read again.
        qCInfo(lcTimelineLoader).noquote() << store->displayName() << ": connection lost, reopening it";
        if (auto st = store->reconnect(); st)
            result = run(*store, request);
        else
            result = st.error();
    }
    if (!result) {
        if (result.error().code != ErrorCode::Cancelled && !isStale(request.generation))
            Q_EMIT failed(result.error().message);
        return;
    }
    if (isStale(request.generation))
        return;
    result->elapsedUs = timer.nsecsElapsed() / 1000;
    Q_EMIT fetched(*result);
}

Result<TimelineResult> TimelineLoader::run(EventStore &store, const TimelineRequest &r)
{
    const quint64 generation = r.generation;
    const auto cancelled = [this, generation] { return isStale(generation); };
    TimelineResult out;
    out.generation = r.generation;
    out.kind = r.kind;
    // Every page is bounded by the head read first, so "fewer rows than asked"
    // means "complete up to the head" even while others append.
    out.head = store.headPosition();

    SummaryQuery q;
    q.filter = r.filter;

    auto anchorAtEnd = [&]() -> Status {
        q.backward = true;
        q.low = 1;
        q.high = out.head;
        q.limit = std::max(1, r.before + r.after);
        auto page = EventSearch::summaries(store, q, cancelled);
        if (!page)
            return page.error();
        out.start = page->size() == q.limit ? page->constLast().position : 1;
        out.end = out.head;
        out.rows = reversed(std::move(*page));
        out.anchorPosition = out.head;
        out.anchorRow = int(out.rows.size()) - 1;
        return {};
    };

    auto anchorAt = [&](qint64 position) -> Status {
        if (position <= 0 || position > out.head)
            return anchorAtEnd();
        q.backward = true;
        q.low = 1;
        q.high = position - 1;
        q.limit = std::max(1, r.before);
        auto back = EventSearch::summaries(store, q, cancelled);
        if (!back)
            return back.error();
        q.backward = false;
        q.low = position;
        q.high = out.head;
        q.limit = std::max(1, r.after);
        auto forward = EventSearch::summaries(store, q, cancelled);
        if (!forward)
            return forward.error();
        out.start = back->size() == std::max(1, r.before) ? back->constLast().position : 1;
        out.end = forward->size() == q.limit ? forward->constLast().position : out.head;
        out.anchorPosition = position;
        const int before = int(back->size());
        out.rows = reversed(std::move(*back));
        out.rows.append(*forward);
        out.anchorRow = forward->isEmpty() ? int(out.rows.size()) - 1 : before;
        return {};
    };

    Status st;
    switch (r.kind) {
    case TimelineRequest::Anchor:
        st = anchorAt(r.position);
        break;
    case TimelineRequest::AnchorTime: {
        const qint64 position = EventSearch::firstPositionAtOrAfter(store, r.timeMs);
        st = anchorAt(position); // 0 (nothing that late): the end
        break;
    }
    case TimelineRequest::Before: {
        q.backward = true;
        q.low = 1;
        q.high = r.position - 1;
        q.limit = std::max(1, r.before);
        auto page = EventSearch::summaries(store, q, cancelled);
        if (!page)
            return page.error();
        out.start = page->size() == q.limit ? page->constLast().position : 1;
        out.end = r.position - 1;
        out.rows = reversed(std::move(*page));
        break;
    }
    case TimelineRequest::After: {
        q.backward = false;
        q.low = r.position + 1;
        q.high = out.head;
        q.limit = std::max(1, r.after);
        auto page = EventSearch::summaries(store, q, cancelled);
        if (!page)
            return page.error();
        out.start = r.position + 1;
        out.end = page->size() == q.limit ? page->constLast().position : out.head;
        out.rows = std::move(*page);
        break;
    }
    case TimelineRequest::Count: {
        // Keyset pages over the whole log, counted, until the cap.
        q.backward = false;
        q.low = 1;
        q.high = out.head;
        q.limit = 1000;
        while (out.count < TimelineRequest::CountCap) {
            auto page = EventSearch::summaries(store, q, cancelled);
            if (!page)
                return page.error();
            out.count += page->size();
            if (page->size() < q.limit)
                break;
            q.low = page->constLast().position + 1;
        }
        out.countCapped = out.count >= TimelineRequest::CountCap;
        out.count = std::min(out.count, TimelineRequest::CountCap);
        break;
    }
    }
    if (!st)
        return st.error();
    return out;
}

} // namespace es
