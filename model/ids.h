#pragma once

#include <QString>

namespace es {

// A time-ordered UUID (version 7: 48 bits of Unix milliseconds, then random
// bits). Ids made close in time sort close together, so the unique indexes on
// event and command ids grow at their right edge instead of touching a random
// page per insert: several times fewer pages written per append.
QString newId();

} // namespace es
