#pragma once

#include "domain.h"
#include "result.h"
#include "types.h"

#include <QJsonArray>
#include <QList>
#include <QString>

#include <functional>

namespace es {

class EventStore;

// A stream as it stood at a global position.
struct AsOfStream {
    QString stream;
    QString type;
    qint64 version = 0;      // its version at the position
    qint64 lastPosition = 0; // its last event at or before the position
    qint64 lastMs = 0;       // when that event was recorded
};

// A projection's rows as of a position, in key order, as ReadStore::dump
// writes them: {key, position, value}.
struct AsOfRows {
    QString projection;
    qint64 position = 0;
    QJsonArray rows;
};

// The whole store as of a global position: what the global as-of view shows.
// Everything here reads the past only; nothing live is written.
class AsOf {
public:
    using Progress = std::function<bool(qint64, qint64)>; // (done, total): false cancels

    // The streams that had events at or before the position, with their
    // version then. Cost: one index probe per stream plus the events after
    // the position.
    static Result<QList<AsOfStream>> streams(EventStore *store, qint64 position, const Progress &progress = {});
    // Builds one projection as of the position into a scratch in-memory
    // store (ProjectionRunner::buildAsOf) and reads its rows back; the scratch
    // store is gone when this returns, so the rows may cross threads.
    // progress reports the position reached; cancelling stops the build.
    static Result<AsOfRows> projectionRows(EventStore *store, Domain *domain, const QString &projection,
                                           qint64 position, const Progress &progress = {});
};

} // namespace es
