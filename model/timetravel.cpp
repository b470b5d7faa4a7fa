#include "timetravel.h"

#include "eventstore.h"

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
