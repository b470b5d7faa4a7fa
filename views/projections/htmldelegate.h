#pragma once

#include <QStyledItemDelegate>

namespace es {

// Paints a cell's display text as one line of rich text: search snippets with
// their <mark>ed matches.
class HtmlDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    // <mark> is not in Qt's rich-text subset: a highlighted span instead.
    static QString toQtHtml(const QString &html);
};

} // namespace es
