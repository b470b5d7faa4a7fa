#pragma once

#include "types.h"

#include <QHash>
#include <QJsonValue>
#include <QList>
#include <QString>

namespace es {

// Paths into a JSON value, written the way JsonTreeModel writes them so a
// view can match a tree row to a path: "a.b", "a[2]", a["odd key"].
QString jsonChildPath(const QString &parentPath, const QString &key, bool arrayIndex);

// One difference between two states, at the deepest level where both sides
// still have the same shape (a container added or removed is one change).
struct PathChange {
    enum Kind { Added, Removed, Changed };
    QString path;
    Kind kind = Changed;
    QJsonValue before;
    QJsonValue after;
};
QList<PathChange> diffStates(const QJsonValue &before, const QJsonValue &after);
QString changeKindName(PathChange::Kind kind);

// Which event last set a field.
struct BlameEntry {
    qint64 version = 0; // 0: the value is the aggregate's initial state
    qint64 position = 0;
    QString eventType;
    qint64 recordedMs = 0;
    QString actor;
    bool isInitial() const { return version == 0; }
};

// For every path of a stream's states, the versions whose event changed it
// (a leaf, each container above it, and everything under a container it
// replaced): "who last set this field, as of version v" is then one binary
// search, for any cursor, without refolding.
class BlameIndex {
public:
    // Steps must be added in version order.
    void add(const RecordedEvent &event, const QJsonValue &before, const QJsonValue &after);
    void clear();

    // The event at or before atVersion that last changed the value at path
    // (atVersion < 0: the last one). version 0 when no event did.
    BlameEntry blame(const QString &path, qint64 atVersion = -1) const;
    // Every version that changed the path, ascending.
    QList<qint64> versionsOf(const QString &path) const { return m_changes.value(path); }
    qsizetype pathCount() const { return m_changes.size(); }

private:
    void mark(const QString &path, const QJsonValue &before, const QJsonValue &after, qint64 version);
    void markAll(const QString &path, const QJsonValue &value, qint64 version);
    void record(const QString &path, qint64 version);

    QHash<QString, QList<qint64>> m_changes;
    QHash<qint64, BlameEntry> m_events;
};

} // namespace es
