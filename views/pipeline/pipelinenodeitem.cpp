#include "pipelinenodeitem.h"

#include <QFontMetricsF>
#include <QPainter>

using namespace Qt::StringLiterals;

namespace es {

PipelineNodeItem::PipelineNodeItem(const PipelineNodeRef &ref, const QString &title, const QString &subtitle,
                                   const QColor &color, qreal width, QGraphicsItem *parent)
    : QGraphicsObject(parent)
    , m_ref(ref)
    , m_title(title)
    , m_subtitle(subtitle)
    , m_color(color)
    , m_width(width)
{
    setToolTip(subtitle.isEmpty() ? title : title + u"\n"_s + subtitle);
}

QRectF PipelineNodeItem::boundingRect() const
{
    // The box, the badge and the note below it.
    return box().adjusted(-6, -6, 6, 48);
}

void PipelineNodeItem::setMark(Mark mark, const QColor &color)
{
    if (mark == m_mark && color == m_markColor)
        return;
    m_mark = mark;
    m_markColor = color;
    update();
}

void PipelineNodeItem::setBadge(const QString &text)
{
    if (text == m_badge)
        return;
    m_badge = text;
    update();
}

void PipelineNodeItem::setNote(const QString &text)
{
    if (text == m_note)
        return;
    m_note = text;
    update();
}

void PipelineNodeItem::paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget)
{
    Q_UNUSED(option);
    Q_UNUSED(widget);
    painter->setRenderHint(QPainter::Antialiasing);
    const QRectF r = box();

    QColor fill = m_color.lighter(185);
    QColor border = m_color.darker(115);
    qreal borderWidth = 1.4;
    switch (m_mark) {
    case Mark::None:
        break;
    case Mark::Visited:
        fill = m_color.lighter(150);
        break;
    case Mark::Active:
        fill = m_color.lighter(130);
        border = m_markColor.isValid() ? m_markColor : border;
        borderWidth = 3.2;
        break;
    case Mark::Stopped:
        fill = QColor(0xff, 0xeb, 0xee);
        border = m_markColor.isValid() ? m_markColor : QColor(0xc6, 0x28, 0x28);
        borderWidth = 3.2;
        break;
    }
    // A soft shadow lifts the boxes off the bands behind them.
    painter->setPen(Qt::NoPen);
    painter->setBrush(QColor(0, 0, 0, 28));
    painter->drawRoundedRect(r.translated(2, 3), 10, 10);
    painter->setBrush(fill);
    painter->setPen(QPen(border, borderWidth));
    painter->drawRoundedRect(r, 10, 10);

    QFont titleFont = painter->font();
    titleFont.setPointSizeF(11);
    titleFont.setBold(true);
    QFont small = painter->font();
    small.setPointSizeF(8.5);

    painter->setPen(QColor(0x21, 0x21, 0x21));
    // Long names (RefundBouncedTransfer) shrink before they are elided.
    while (titleFont.pointSizeF() > 8.0 && QFontMetricsF(titleFont).horizontalAdvance(m_title) > r.width() - 12)
        titleFont.setPointSizeF(titleFont.pointSizeF() - 0.5);
    painter->setFont(titleFont);
    const QRectF titleRect = m_subtitle.isEmpty() ? r : QRectF(r.left() + 4, r.top() + 8, r.width() - 8, 22);
    painter->drawText(titleRect, Qt::AlignCenter,
                      QFontMetricsF(titleFont).elidedText(m_title, Qt::ElideRight, r.width() - 10));
    if (!m_subtitle.isEmpty()) {
        painter->setFont(small);
        painter->setPen(QColor(0x42, 0x42, 0x42));
        painter->drawText(QRectF(r.left() + 4, r.top() + 32, r.width() - 8, 22), Qt::AlignHCenter | Qt::AlignTop,
                          QFontMetricsF(small).elidedText(m_subtitle, Qt::ElideRight, r.width() - 10));
    }

    qreal y = r.bottom() + 6;
    if (!m_badge.isEmpty()) {
        QFont bf = small;
        bf.setBold(true);
        painter->setFont(bf);
        const QFontMetricsF fm(bf);
        const qreal w = fm.horizontalAdvance(m_badge) + 14;
        const QRectF pill(-w / 2, y, w, fm.height() + 4);
        const QColor c = m_mark == Mark::Stopped && m_markColor.isValid() ? m_markColor : QColor(0x37, 0x47, 0x4f);
        painter->setPen(Qt::NoPen);
        painter->setBrush(c);
        painter->drawRoundedRect(pill, pill.height() / 2, pill.height() / 2);
        painter->setPen(Qt::white);
        painter->drawText(pill, Qt::AlignCenter, m_badge);
        y = pill.bottom() + 3;
    }
    if (!m_note.isEmpty()) {
        painter->setFont(small);
        painter->setPen(QColor(0x6a, 0x1b, 0x9a));
        painter->drawText(QRectF(r.left() - 4, y, r.width() + 8, 16), Qt::AlignHCenter | Qt::AlignTop, m_note);
    }
}

} // namespace es
