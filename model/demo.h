#pragma once

#include "result.h"

#include <QString>

namespace es {

// Fills a new store with a small, readable history from the bank pack, so a
// first launch shows something real: accounts opened, deposits, a rejected
// overdraft, a closed account. Runs the real pipeline.
Result<qint64> createDemoStore(const QString &storePath, const QString &packPath);

} // namespace es
