#pragma once

#include "result.h"

#include <QString>

namespace es {

// Fills a new store with a history from the bank pack, so a first launch
// shows something real: a short readable story (accounts opened, deposits, a
// rejected overdraft, a closed account, a transfer that bounces and is
// refunded), then a seeded random workload. Runs the real pipeline.
Result<qint64> createDemoStore(const QString &storePath, const QString &packPath);

} // namespace es
