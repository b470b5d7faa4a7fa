#pragma once

#include <QStyledItemDelegate>

namespace es {

// Paints the event type as a coloured chip and a stripe of the same hue at
// the start of each row, so runs of one type stand out while scrolling.
class TimelineDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit TimelineDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace es
