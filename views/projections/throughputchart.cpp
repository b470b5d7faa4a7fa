#include "throughputchart.h"

#include <QDateTime>
#include <QLocale>
#include <QPainter>
#include <QPainterPath>

#include <cmath>

using namespace Qt::StringLiterals;

namespace es {

namespace {
const QColor RateColor(0x15, 0x65, 0xc0);
const QColor LagColor(0xe6, 0x7e, 0x22);

QString compact(double v)
{
    const QLocale locale;
    if (v >= 1e6)
        return locale.toString(v / 1e6, 'g', 3) + u'M';
    if (v >= 1e4)
        return locale.toString(v / 1e3, 'g', 3) + u'k';
    return locale.toString(v, 'g', 4);
}
} // namespace

ThroughputChart::ThroughputChart(QWidget *parent)
    : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setToolTip(tr("Events applied per second (blue area) and lag in events (orange line) over the last minutes"));
}

void ThroughputChart::setSamples(const QList<ProjectionHost::Sample> &samples, qint64 nowMs)
{
    m_samples = samples;
    m_nowMs = nowMs > 0 ? nowMs : (samples.isEmpty() ? QDateTime::currentMSecsSinceEpoch()
                                                       : samples.constLast().msSinceEpoch);
    if (m_autoSpan) {
        // A young history fills a one-minute window; an older one grows it, minute by minute.
        const qint64 age = samples.isEmpty() ? 0 : (m_nowMs - samples.constFirst().msSinceEpoch) / 1000;
        m_spanSeconds = int(qBound(qint64(60), (age + 59) / 60 * 60, qint64(ProjectionHost::HistorySeconds)));
    }
    update();
}

void ThroughputChart::setTitle(const QString &title)
{
    m_title = title;
    update();
}

void ThroughputChart::setSpanSeconds(int seconds)
{
    m_autoSpan = seconds <= 0;
    if (!m_autoSpan)
        m_spanSeconds = qMax(10, seconds);
    update();
}

double ThroughputChart::niceCeiling(double value)
{
    if (value <= 0)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : {1.0, 2.0, 5.0, 10.0}) {
        if (step * magnitude >= value * (1 - 1e-9))
            return step * magnitude;
    }
    return 10 * magnitude;
}

void ThroughputChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm = fontMetrics();
    const int lineH = fm.height();

    double maxRate = 0;
    qint64 maxLag = 0;
    for (const auto &s : m_samples) {
        maxRate = qMax(maxRate, s.eventsPerSecond);
        maxLag = qMax(maxLag, s.lagEvents);
    }
    const double rateTop = niceCeiling(maxRate);
    const double lagTop = niceCeiling(double(maxLag));

    const int left = fm.horizontalAdvance(u"00000"_s) + 8;
    const int right = maxLag > 0 ? fm.horizontalAdvance(u"00000"_s) + 8 : 10;
    const QRect plot(left, lineH + 8, qMax(10, width() - left - right), qMax(10, height() - 2 * lineH - 14));

    // Title and legend.
    p.setPen(pal.color(QPalette::Text));
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    const QString lagLegend = tr("lag (events)");
    const QString rateLegend = tr("events/s");
    const int legendWidth = fm.horizontalAdvance(lagLegend) + fm.horizontalAdvance(rateLegend) + 40;
    const int titleWidth = plot.width() - legendWidth;
    p.drawText(QRect(left, 2, qMax(0, titleWidth), lineH + 4), Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetrics(bold).elidedText(m_title, Qt::ElideRight, qMax(0, titleWidth)));
    p.setFont(font());
    int x = plot.right() - fm.horizontalAdvance(lagLegend);
    p.setPen(LagColor);
    p.drawText(QPoint(x, lineH + 1), lagLegend);
    p.fillRect(QRect(x - 14, lineH / 2, 10, 3), LagColor);
    x -= 22 + fm.horizontalAdvance(rateLegend);
    p.setPen(RateColor);
    p.drawText(QPoint(x, lineH + 1), rateLegend);
    p.fillRect(QRect(x - 14, lineH / 2 - 2, 10, 8), RateColor.lighter(150));

    // Grid and axes.
    QColor grid = pal.color(QPalette::Text);
    grid.setAlpha(40);
    QColor axisText = pal.color(QPalette::Text);
    axisText.setAlpha(170);
    // Four divisions when there is room for their labels, else two, else one.
    const int divisions = plot.height() >= 4 * (lineH + 2) ? 4 : (plot.height() >= 2 * (lineH + 2) ? 2 : 1);
    for (int i = 0; i <= divisions; ++i) {
        const int y = plot.bottom() - plot.height() * i / divisions;
        p.setPen(grid);
        p.drawLine(plot.left(), y, plot.right(), y);
        p.setPen(axisText);
        p.drawText(QRect(0, y - lineH / 2, left - 4, lineH), Qt::AlignRight | Qt::AlignVCenter,
                   compact(rateTop * i / divisions));
        if (maxLag > 0) {
            p.setPen(LagColor);
            p.drawText(QRect(plot.right() + 4, y - lineH / 2, right - 4, lineH), Qt::AlignLeft | Qt::AlignVCenter,
                       compact(lagTop * i / divisions));
        }
    }
    p.setPen(axisText);
    // Ticks every 15 s or every minute, fewer when their labels would collide.
    int step = m_spanSeconds <= 60 ? 15 : 60;
    const int labelWidth = fm.horizontalAdvance(tr("−%1 min").arg(5)) + 12;
    while (step < m_spanSeconds && plot.width() * step / m_spanSeconds < labelWidth)
        step *= 2;
    for (int t = 0; t <= m_spanSeconds; t += step) {
        const int xx = plot.right() - plot.width() * t / m_spanSeconds;
        p.setPen(grid);
        p.drawLine(xx, plot.top(), xx, plot.bottom());
        p.setPen(axisText);
        const QString label = t == 0 ? tr("now") : (t % 60 == 0 && m_spanSeconds > 60 ? tr("−%1 min").arg(t / 60)
                                                                                        : tr("−%1 s").arg(t));
        p.drawText(QRect(xx - 40, plot.bottom() + 2, 80, lineH), Qt::AlignCenter, label);
    }

    if (m_samples.isEmpty()) {
        p.setPen(axisText);
        p.drawText(plot, Qt::AlignCenter, tr("no samples yet"));
        return;
    }

    auto xOf = [&](qint64 ms) {
        const double age = double(m_nowMs - ms) / 1000.0;
        return plot.right() - plot.width() * age / m_spanSeconds;
    };
    p.setClipRect(plot.adjusted(0, -2, 1, 1));
    QPainterPath area;
    QPainterPath line;
    QPainterPath lag;
    bool first = true;
    for (const auto &s : m_samples) {
        const double px = xOf(s.msSinceEpoch);
        const double py = plot.bottom() - plot.height() * s.eventsPerSecond / rateTop;
        const double ly = plot.bottom() - plot.height() * double(s.lagEvents) / lagTop;
        if (first) {
            area.moveTo(px, plot.bottom());
            line.moveTo(px, py);
            lag.moveTo(px, ly);
            first = false;
        } else {
            line.lineTo(px, py);
            lag.lineTo(px, ly);
        }
        area.lineTo(px, py);
    }
    area.lineTo(xOf(m_samples.constLast().msSinceEpoch), plot.bottom());
    area.closeSubpath();
    QColor fill = RateColor;
    fill.setAlpha(70);
    p.fillPath(area, fill);
    p.setPen(QPen(RateColor, 1.5));
    p.drawPath(line);
    if (maxLag > 0) {
        p.setPen(QPen(LagColor, 1.5));
        p.drawPath(lag);
    }
}

} // namespace es
