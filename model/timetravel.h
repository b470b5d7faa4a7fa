#pragma once

#include "domain.h"
#include "repository.h"
#include "result.h"
#include "types.h"

namespace es {

class EventStore;

// One event of a stream with the state just before and just after it.
struct HistoryStep {
    RecordedEvent event;
    QJsonObject before;
    QJsonObject after;
};

// Rebuilds an aggregate as of a point: a stream version, a global position or
// a time. Uses snapshots made by the same pack (never ones made later than the
// point asked for), and never the live cache.
class TimeTravel {
public:
    TimeTravel(EventStore *store, Domain *domain);

    void setUseSnapshots(bool on) { m_repository.setUseSnapshots(on); }

    Result<LoadedAggregate> atVersion(const QString &stream, qint64 version);
    Result<LoadedAggregate> atPosition(const QString &stream, qint64 position);
    Result<LoadedAggregate> atTime(const QString &stream, const QDateTime &time);
    // Versions fromVersion..toVersion inclusive (toVersion < 0: to the end).
    Result<QList<HistoryStep>> history(const QString &stream, qint64 fromVersion = 1, qint64 toVersion = -1);

private:
    Result<LoadedAggregate> atLastEventMatching(const QString &stream, qint64 position, qint64 timeMs);

    EventStore *m_store;
    Domain *m_domain;
    Repository m_repository;
};

} // namespace es
