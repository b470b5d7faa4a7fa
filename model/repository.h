#pragma once

#include "domain.h"
#include "result.h"
#include "types.h"

#include <QHash>
#include <QJsonObject>

namespace es {

class EventStore;

struct LoadedAggregate {
    QString aggregate;
    QString stream;
    bool exists = false;
    qint64 version = 0;         // the last applied version
    qint64 position = 0;        // global position of the last applied event (0 when unknown from cache/snapshot only)
    qint64 snapshotVersion = 0; // the snapshot the load started from (0: none)
    qint64 eventsApplied = 0;   // events folded on top of the snapshot or cache
    bool fromCache = false;
    QJsonObject state;

    // True when the load started from a stored snapshot (snapshotVersion says which).
    bool usedSnapshot() const { return snapshotVersion > 0; }
};

// Loads aggregates: the latest snapshot made by this pack version, then the
// events after it. Keeps the latest state of recently used streams so that a
// busy stream is not refolded for every command.
class Repository {
public:
    Repository(EventStore *store, Domain *domain);

    void setUseSnapshots(bool on) { m_useSnapshots = on; }
    bool useSnapshots() const { return m_useSnapshots; }
    void setCacheEnabled(bool on);

    // maxVersion < 0: the current state. aggregate may be empty: taken from the stream.
    Result<LoadedAggregate> load(const QString &aggregate, const QString &stream, qint64 maxVersion = -1);
    // After an append: fold the stored events onto a loaded state and remember it.
    Result<LoadedAggregate> advance(const LoadedAggregate &loaded, const EventList &events);
    void forget(const QString &stream) { m_cache.remove(stream); }
    void clearCache() { m_cache.clear(); }

private:
    EventStore *m_store;
    Domain *m_domain;
    bool m_useSnapshots = true;
    bool m_cacheEnabled = true;
    QHash<QString, LoadedAggregate> m_cache;
};

} // namespace es
