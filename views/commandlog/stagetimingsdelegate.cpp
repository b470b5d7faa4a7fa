#include "stagetimingsdelegate.h"

#include "commandlogmodel.h"
#include "stagebar.h"

#include <QApplication>
#include <QPainter>

using namespace Qt::StringLiterals;

namespace es {

StageTimingsDelegate::StageTimingsDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

void StageTimingsDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                                 const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    const QWidget *widget = opt.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    StageBar::Micros us{};
    const QVariantList list = index.data(CommandLogModel::TimingsRole).toList();
    for (int i = 0; i < StageBar::StageCount && i < list.size(); ++i)
        us[std::size_t(i)] = list.at(i).toLongLong();
    const qint64 scale = index.data(CommandLogModel::ScaleRole).toLongLong();

    const QRect cell = opt.rect.adjusted(3, 0, -3, 0);
    const int textWidth = opt.fontMetrics.horizontalAdvance(u"999.9 ms"_s) + 4;
    const QRect textRect(cell.right() - textWidth, cell.top(), textWidth, cell.height());
    const int barHeight = qMax(4, cell.height() / 2);
    const QRectF barArea(cell.left(), cell.top() + (cell.height() - barHeight) / 2.0,
                         qMax(0, cell.width() - textWidth - 4), barHeight);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->setPen(Qt::NoPen);
    painter->setBrush(opt.palette.color(QPalette::Midlight));
    painter->drawRect(barArea);
    for (const StageBar::Segment &s : StageBar::layout(us, barArea, scale)) {
        painter->setBrush(StageBar::stageColor(s.stage));
        painter->drawRect(s.rect);
    }
    painter->setPen(opt.state & QStyle::State_Selected ? opt.palette.color(QPalette::HighlightedText)
                                                         : opt.palette.color(QPalette::Text));
    painter->drawText(textRect, Qt::AlignRight | Qt::AlignVCenter, text);
    painter->restore();
}

QSize StageTimingsDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    s.setWidth(qMax(s.width(), option.fontMetrics.horizontalAdvance(u"999.9 ms"_s) + 90));
    return s;
}

} // namespace es
