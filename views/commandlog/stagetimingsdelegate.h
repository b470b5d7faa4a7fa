#pragma once

#include <QStyledItemDelegate>

namespace es {

// Paints a command's stage timings as a tiny stacked bar (StageBar) with the
// total beside it. Reads CommandLogModel::TimingsRole and ScaleRole.
class StageTimingsDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit StageTimingsDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace es
