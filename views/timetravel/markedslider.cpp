#include "markedslider.h"

#include <QPainter>
#include <QStyle>
#include <QStyleOptionSlider>

namespace es {

MarkedSlider::MarkedSlider(QWidget *parent)
    : QSlider(Qt::Horizontal, parent)
{
    setMinimumHeight(28);
}

void MarkedSlider::setMarkers(const QList<qint64> &values, const QList<qint64> &warnings)
{
    m_markers = values;
    m_warnings = warnings;
    update();
}

void MarkedSlider::paintEvent(QPaintEvent *event)
{
    QSlider::paintEvent(event);
    if (m_markers.isEmpty() || maximum() <= minimum())
        return;
    QStyleOptionSlider opt;
    initStyleOption(&opt);
    const QRect groove = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, this);
    const QRect handle = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, this);
    const int span = groove.width() - handle.width();
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    for (qint64 v : std::as_const(m_markers)) {
        const int x = groove.left() + handle.width() / 2
                      + QStyle::sliderPositionFromValue(minimum(), maximum(), int(v), span);
        const int y = height() - 5;
        p.setBrush(m_warnings.contains(v) ? QColor(0xd3, 0x2f, 0x2f) : QColor(0x1e, 0x88, 0xe5));
        const QPointF diamond[4] = {{double(x), y - 4.0}, {x + 4.0, double(y)}, {double(x), y + 4.0}, {x - 4.0, double(y)}};
        p.drawPolygon(diamond, 4);
    }
}

} // namespace es
