#pragma once

#include "result.h"

#include <QIODevice>

#include <functional>

namespace es {

class EventStore;

// JSON Lines: one event per line, every stored field, so that an export
// imported into an empty store reproduces ids, versions, times, metadata and
// hashes exactly.
namespace eventio {

// progress(done) returns false to cancel.
Result<qint64> exportEvents(EventStore &store, qint64 fromPosition, QIODevice &out,
                            const std::function<bool(qint64)> &progress = {});
// Reads and checks every line first; writes nothing unless all of it is valid.
Result<qint64> importEvents(EventStore &store, QIODevice &in);

} // namespace eventio
} // namespace es
