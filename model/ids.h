#pragma once

#include <QString>

namespace es {

// A time-ordered UUID (version 7: 48 bits of Unix milliseconds, then random
// bits). Ids made close in time sort close together, so the unique indexes on
// event and command ids grow at their right edge instead of touching a random
// page per insert: several times fewer pages written per append.
QString newId();

// While one lives, newId() on this thread draws from a generator seeded with
// `seed` instead of the clock and the system's entropy: a seeded workload
// writes the same ids (and so the same stream ids, such as order-<id>) every
// run. Still version 7 and still increasing in the order they are drawn.
class SeededIds {
public:
    explicit SeededIds(quint64 seed);
    ~SeededIds();
    SeededIds(const SeededIds &) = delete;
    SeededIds &operator=(const SeededIds &) = delete;
};

} // namespace es
