#include "scrollmap.h"

#include <algorithm>

namespace es {

namespace {
// Products of a 63-bit position and 2^30 need more than 64 bits.
__extension__ typedef __int128 Wide; // NOLINT(modernize-use-using)
} // namespace

ScrollMap::ScrollMap(qint64 first, qint64 last)
    : m_first(first)
    , m_last(last)
{
}

int ScrollMap::maximum() const
{
    const qint64 n = count();
    if (n <= 1)
        return 0;
    return int(std::min(n - 1, MaxSteps));
}

int ScrollMap::valueFor(qint64 position) const
{
    if (count() <= 1)
        return 0;
    const qint64 offset = std::clamp(position, m_first, m_last) - m_first;
    if (!isScaled())
        return int(offset);
    // floor(offset * MaxSteps / (count - 1)), exact in 128 bits.
    return int((Wide(offset) * MaxSteps) / (count() - 1));
}

qint64 ScrollMap::positionFor(int value) const
{
    if (count() <= 1)
        return m_first;
    const qint64 v = std::clamp<qint64>(value, 0, maximum());
    if (!isScaled())
        return m_first + v;
    // ceil(v * (count - 1) / MaxSteps): the smallest position whose value is v.
    const Wide n = count() - 1;
    return m_first + qint64((Wide(v) * n + MaxSteps - 1) / MaxSteps);
}

int ScrollMap::stepsFor(qint64 positions) const
{
    if (positions <= 1 || count() <= 1)
        return 1;
    if (!isScaled())
        return int(std::min<qint64>(positions, maximum()));
    return int(std::max<qint64>(1, qint64((Wide(positions) * MaxSteps) / (count() - 1))));
}

int ScrollMap::scrollMaximum(int visibleRows) const
{
    if (count() <= 1)
        return 0;
    const qint64 lastTop = std::max(m_first, m_last - std::max(1, visibleRows) + 1);
    return valueFor(lastTop);
}

} // namespace es
