#include "timetravel.h"

#include "eventstore.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace es {

TimeTravel::TimeTravel(EventStore *store, Domain *domain)
    : m_store(store)
    , m_domain(domain)
    , m_repository(store, domain)
{
    m_repository.setCacheEnabled(false);
}

Result<LoadedAggregate> TimeTravel::atVersion(const QString &stream, qint64 version)
{
    if (!m_store->streamInfo(stream))
        return Error::make(ErrorCode::NotFound, u"no stream %1"_s.arg(stream));
    return m_repository.load({}, stream, qMax<qint64>(0, version));
}

Result<LoadedAggregate> TimeTravel::atLastEventMatching(const QString &stream, qint64 position, qint64 timeMs)
{
    if (!m_store->streamInfo(stream))
        return Error::make(ErrorCode::NotFound, u"no stream %1"_s.arg(stream));
    EventQuery q;
    q.stream = stream;
    q.backward = true;
    q.limit = 1;
    if (position >= 0)
        q.fromPosition = position;
    if (timeMs >= 0)
        q.toMs = timeMs;
    auto last = m_store->query(q);
    if (!last)
        return last.error();
    // Before the stream's first event: its initial state, version 0.
    const qint64 version = last->isEmpty() ? 0 : last->constFirst().version;
    return m_repository.load({}, stream, version);
}

Result<LoadedAggregate> TimeTravel::atPosition(const QString &stream, qint64 position)
{
    if (position < 1)
        return atVersion(stream, 0);
    return atLastEventMatching(stream, position, -1);
}

Result<LoadedAggregate> TimeTravel::atTime(const QString &stream, const QDateTime &time)
{
    return atLastEventMatching(stream, -1, time.toMSecsSinceEpoch());
}

Result<QList<HistoryStep>> TimeTravel::history(const QString &stream, qint64 fromVersion, qint64 toVersion)
{
    auto start = m_repository.load({}, stream, qMax<qint64>(0, fromVersion - 1));
    if (!start)
        return start.error();
    auto events = m_store->readStream(stream, qMax<qint64>(1, fromVersion), toVersion);
    if (!events)
        return events.error();
    QList<HistoryStep> steps;
    steps.reserve(events->size());
    QJsonObject state = start->state;
    for (const RecordedEvent &e : *events) {
        auto next = m_domain->evolve(start->aggregate, state, e);
        if (!next)
            return next.error();
        steps.append({e, state, *next});
        state = *next;
    }
    return steps;
}

} // namespace es

namespace es {

QJsonObject TravelHistory::stateAt(qint64 version) const
{
    if (version <= 0 || steps.isEmpty())
        return initial;
    return steps.at(qMin<qint64>(version, steps.size()) - 1).after;
}

const RecordedEvent *TravelHistory::eventAt(qint64 version) const
{
    if (version < 1 || version > steps.size())
        return nullptr;
    return &steps.at(version - 1).event;
}

qint64 TravelHistory::versionAtPosition(qint64 position) const
{
    auto it = std::upper_bound(steps.cbegin(), steps.cend(), position,
                               [](qint64 p, const HistoryStep &s) { return p < s.event.position; });
    return qint64(it - steps.cbegin());
}

qint64 TravelHistory::versionAtTime(qint64 ms) const
{
    // Recorded times follow positions, so they are ascending along a stream.
    auto it = std::upper_bound(steps.cbegin(), steps.cend(), ms,
                               [](qint64 t, const HistoryStep &s) { return t < s.event.recordedMs; });
    return qint64(it - steps.cbegin());
}

qint64 TravelHistory::snapshotFor(qint64 version) const
{
    auto it = std::upper_bound(snapshotVersions.cbegin(), snapshotVersions.cend(), version);
    return it == snapshotVersions.cbegin() ? 0 : *(it - 1);
}

Result<TravelHistory> TimeTravel::travelHistory(const QString &stream,
                                                const std::function<bool(qint64, qint64)> &progress)
{
    constexpr qint64 Chunk = 500;
    const auto info = m_store->streamInfo(stream);
    if (!info)
        return Error::make(ErrorCode::NotFound, u"no stream %1"_s.arg(stream));
    if (!m_domain->info().aggregate(info->type))
        return Error::make(ErrorCode::NotFound,
                           u"the domain pack %1 has no aggregate %2"_s.arg(m_domain->info().name, info->type));
    TravelHistory out;
    out.stream = stream;
    out.aggregate = info->type;
    auto init = m_domain->initialState(info->type);
    if (!init)
        return init.error();
    out.initial = *init;
    out.steps.reserve(info->version);
    QJsonObject state = out.initial;
    for (qint64 from = 1; from <= info->version; from += Chunk) {
        if (progress && !progress(from - 1, info->version))
            return Error::make(ErrorCode::Cancelled, u"history of %1 cancelled"_s.arg(stream));
        auto events = m_store->readStream(stream, from, qMin(info->version, from + Chunk - 1));
        if (!events)
            return events.error();
        for (const RecordedEvent &e : std::as_const(*events)) {
            auto next = m_domain->evolve(info->type, state, e);
            if (!next)
                return Error::make(next.error().code, next.error().message +
                                                          u" (replaying %1 version %2)"_s.arg(stream).arg(e.version));
            out.blame.add(e, state, *next);
            out.steps.append({e, state, *next});
            state = *next;
        }
    }
    // Walk the usable snapshots from the newest down.
    const DomainInfo &pack = m_domain->info();
    for (qint64 below = info->version; below > 0;) {
        const auto snap = m_store->latestSnapshot(stream, below, pack.version, pack.contentHash);
        if (!snap || snap->version <= 0)
            break;
        out.snapshotVersions.prepend(snap->version);
        if (snap->version <= out.steps.size() && out.stateAt(snap->version) != snap->state)
            out.mismatchedSnapshots.prepend(snap->version);
        below = snap->version - 1;
    }
    if (progress)
        progress(info->version, info->version);
    return out;
}

} // namespace es
