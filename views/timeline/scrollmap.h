#pragma once

#include <QtGlobal>

namespace es {

// Maps the log's positions [first, last] onto a QScrollBar's int range: one
// step per position while that fits, proportionally beyond, so a log of any
// length (QTableView's own arithmetic gives up past ~70M rows) has a
// scrollbar. valueFor(positionFor(v)) == v for every value.
class ScrollMap {
public:
    static constexpr qint64 MaxSteps = qint64(1) << 30;

    ScrollMap() = default;
    ScrollMap(qint64 first, qint64 last);

    qint64 first() const { return m_first; }
    qint64 last() const { return m_last; }
    qint64 count() const { return m_last >= m_first ? m_last - m_first + 1 : 0; }
    bool isScaled() const { return count() - 1 > MaxSteps; }

    // The value of the last position.
    int maximum() const;
    int valueFor(qint64 position) const;
    qint64 positionFor(int value) const;
    // How many steps `positions` consecutive positions span (at least 1).
    int stepsFor(qint64 positions) const;
    // The scrollbar's maximum when the value is the top row of a view showing
    // `visibleRows` rows: at the maximum, the last position is the bottom row.
    int scrollMaximum(int visibleRows) const;

private:
    qint64 m_first = 1;
    qint64 m_last = 0;
};

} // namespace es
