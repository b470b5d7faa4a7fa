#include "stagebar.h"

#include <QCoreApplication>

#include <cmath>

using namespace Qt::StringLiterals;

namespace es {

StageBar::Micros StageBar::micros(const StageTimings &t)
{
    return {t.validateUs, t.loadUs, t.decideUs, t.appendUs, t.publishUs};
}

qint64 StageBar::total(const Micros &us)
{
    qint64 sum = 0;
    for (qint64 v : us)
        sum += qMax<qint64>(0, v);
    return sum;
}

double StageBar::fraction(qint64 totalUs, qint64 scaleUs)
{
    if (totalUs <= 0 || scaleUs <= 0)
        return 0.0;
    if (totalUs >= scaleUs)
        return 1.0;
    return std::log1p(double(totalUs)) / std::log1p(double(scaleUs));
}

QList<StageBar::Segment> StageBar::layout(const Micros &us, const QRectF &area, qint64 scaleUs)
{
    QList<Segment> out;
    const qint64 sum = total(us);
    const double width = area.width() * fraction(sum, scaleUs);
    if (width <= 0.0)
        return out;
    double x = area.left();
    for (int i = 0; i < StageCount; ++i) {
        if (us[std::size_t(i)] <= 0)
            continue;
        const double w = width * double(us[std::size_t(i)]) / double(sum);
        out.append(Segment{i, QRectF(x, area.top(), w, area.height())});
        x += w;
    }
    return out;
}

QString StageBar::stageName(int stage)
{
    static const char *const names[StageCount] = {QT_TRANSLATE_NOOP("es::StageBar", "validate"),
                                                  QT_TRANSLATE_NOOP("es::StageBar", "load"),
                                                  QT_TRANSLATE_NOOP("es::StageBar", "decide"),
                                                  QT_TRANSLATE_NOOP("es::StageBar", "append"),
                                                  QT_TRANSLATE_NOOP("es::StageBar", "publish")};
    return stage >= 0 && stage < StageCount ? QCoreApplication::translate("es::StageBar", names[stage]) : QString();
}

QColor StageBar::stageColor(int stage)
{
    // Distinct in hue and lightness, so the order reads even in grey.
    static const QColor colors[StageCount] = {{0x90, 0xca, 0xf9}, {0x42, 0xa5, 0xf5}, {0xff, 0xb7, 0x4d},
                                              {0x66, 0xbb, 0x6a}, {0xab, 0x47, 0xbc}};
    return stage >= 0 && stage < StageCount ? colors[stage] : QColor();
}

QString StageBar::formatMicros(qint64 us)
{
    if (us < 1000)
        return u"%1 µs"_s.arg(us);
    if (us < 1000000)
        return u"%1 ms"_s.arg(double(us) / 1000.0, 0, 'f', us < 10000 ? 2 : 1);
    return u"%1 s"_s.arg(double(us) / 1e6, 0, 'f', 2);
}

QString StageBar::describe(const Micros &us)
{
    QStringList lines;
    for (int i = 0; i < StageCount; ++i)
        lines << u"%1: %2"_s.arg(stageName(i), formatMicros(us[std::size_t(i)]));
    lines << QCoreApplication::translate("es::StageBar", "total: %1").arg(formatMicros(total(us)));
    return lines.join(u'\n');
}

} // namespace es
