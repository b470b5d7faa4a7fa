#include "timelinedelegate.h"

#include "eventtypepalette.h"
#include "timelinemodel.h"

#include <QApplication>
#include <QPainter>

namespace es {

namespace {
constexpr int ChipPadding = 6;
constexpr int StripeWidth = 4;
} // namespace

TimelineDelegate::TimelineDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

void TimelineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const QString type = index.data(TimelineModel::EventTypeRole).toString();
    if (index.column() == TimelineModel::TypeColumn && !type.isEmpty()) {
        QStyleOptionViewItem opt(option);
        initStyleOption(&opt, index);
        opt.text.clear();
        const QWidget *widget = option.widget;
        QStyle *style = widget ? widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget); // selection, focus

        const QFontMetrics fm(opt.font);
        const QRect cell = opt.rect.adjusted(2, 2, -2, -2);
        const QString text = fm.elidedText(type, Qt::ElideRight, cell.width() - 2 * ChipPadding);
        QRect chip = cell;
        chip.setWidth(std::min(cell.width(), fm.horizontalAdvance(text) + 2 * ChipPadding));
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(Qt::NoPen);
        painter->setBrush(EventTypePalette::background(type));
        painter->drawRoundedRect(chip, 4, 4);
        painter->setPen(QColor(25, 25, 25));
        painter->drawText(chip.adjusted(ChipPadding, 0, -ChipPadding, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
        painter->restore();
        return;
    }
    QStyledItemDelegate::paint(painter, option, index);
    if (index.column() == TimelineModel::PositionColumn && !type.isEmpty()) {
        const QRect r = option.rect;
        painter->fillRect(QRect(r.left(), r.top(), StripeWidth, r.height()), EventTypePalette::accent(type));
    }
}

QSize TimelineDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    if (index.column() == TimelineModel::TypeColumn)
        s.rwidth() += 2 * ChipPadding + 4;
    return s;
}

} // namespace es
