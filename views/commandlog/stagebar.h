#pragma once

#include "types.h"

#include <QColor>
#include <QList>
#include <QRectF>
#include <QString>

#include <array>

namespace es {

// The geometry of the tiny per-command bar of pipeline stage timings
// (validate, load, decide, append, publish), kept out of the delegate so
// tests can check it without a view.
struct StageBar {
    static constexpr int StageCount = 5;
    using Micros = std::array<qint64, StageCount>;

    struct Segment {
        int stage = 0;
        QRectF rect;
    };

    static Micros micros(const StageTimings &timings);
    static qint64 total(const Micros &us);
    // The bar's share of the cell: log-scaled against the largest total, so a
    // single slow command (a cold script engine) does not flatten all others.
    static double fraction(qint64 totalUs, qint64 scaleUs);
    // Segments left to right, each as wide as its share of the total; stages
    // that took no time get no segment.
    static QList<Segment> layout(const Micros &us, const QRectF &area, qint64 scaleUs);

    static QString stageName(int stage);
    static QColor stageColor(int stage);
    static QString formatMicros(qint64 us);
    // One line per stage, for tooltips.
    static QString describe(const Micros &us);
};

} // namespace es
