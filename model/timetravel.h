#pragma once

#include "blame.h"
#include "domain.h"
#include "repository.h"
#include "result.h"
#include "types.h"

#include <functional>

namespace es {

class EventStore;

// One event of a stream with the state just before and just after it.
struct HistoryStep {
    RecordedEvent event;
    QJsonObject before;
    QJsonObject after;
};

// A stream's whole history as the time-travel view walks it: every state,
// who set each field, and where snapshots could shortcut a load.
struct TravelHistory {
    QString stream;
    QString aggregate;
    QJsonObject initial;
    QList<HistoryStep> steps; // steps[i] is version i + 1
    BlameIndex blame;
    // Versions with a snapshot this pack would load from (ascending), and
    // those whose stored state differs from the replayed one (a pack that
    // changed behaviour without changing its version, or a damaged snapshot).
    QList<qint64> snapshotVersions;
    QList<qint64> mismatchedSnapshots;

    qint64 lastVersion() const { return steps.size(); }
    QJsonObject stateAt(qint64 version) const;
    QJsonObject stateBefore(qint64 version) const { return stateAt(version - 1); }
    const RecordedEvent *eventAt(qint64 version) const;
    // The last version whose event lies at or before a global position / a time (0: none yet).
    qint64 versionAtPosition(qint64 position) const;
    qint64 versionAtTime(qint64 ms) const;
    // The snapshot a load of this version starts from (0: none), as Repository::load picks it.
    qint64 snapshotFor(qint64 version) const;
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
    // The whole stream from its initial state, with the blame index and the
    // snapshots. progress(done, total) returns false to cancel (ErrorCode::Cancelled).
    Result<TravelHistory> travelHistory(const QString &stream,
                                        const std::function<bool(qint64, qint64)> &progress = {});

private:
    Result<LoadedAggregate> atLastEventMatching(const QString &stream, qint64 position, qint64 timeMs);

    EventStore *m_store;
    Domain *m_domain;
    Repository m_repository;
};

} // namespace es
