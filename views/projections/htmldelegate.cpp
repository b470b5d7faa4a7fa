#include "htmldelegate.h"

#include <QAbstractTextDocumentLayout>
#include <QApplication>
#include <QPainter>
#include <QTextDocument>

using namespace Qt::StringLiterals;

namespace es {

QString HtmlDelegate::toQtHtml(const QString &html)
{
    QString out = html;
    out.replace(u"<mark>"_s, u"<span style=\"background-color:#ffe082; font-weight:600\">"_s);
    out.replace(u"</mark>"_s, u"</span>"_s);
    return out;
}

void HtmlDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString html = toQtHtml(opt.text);
    opt.text.clear();
    QStyle *style = opt.widget ? opt.widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);

    QTextDocument doc;
    doc.setDefaultFont(opt.font);
    doc.setDocumentMargin(2);
    doc.setHtml(html);
    const QRect text = style->subElementRect(QStyle::SE_ItemViewItemText, &opt, opt.widget);
    painter->save();
    painter->translate(text.topLeft());
    painter->setClipRect(text.translated(-text.topLeft()));
    QAbstractTextDocumentLayout::PaintContext ctx;
    ctx.palette = opt.palette;
    if (opt.state & QStyle::State_Selected)
        ctx.palette.setColor(QPalette::Text, opt.palette.color(QPalette::HighlightedText));
    const qreal dy = qMax<qreal>(0, (text.height() - doc.size().height()) / 2);
    painter->translate(0, dy);
    doc.documentLayout()->draw(painter, ctx);
    painter->restore();
}

QSize HtmlDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    QTextDocument doc;
    doc.setDefaultFont(opt.font);
    doc.setDocumentMargin(2);
    doc.setHtml(toQtHtml(opt.text));
    return QSize(int(doc.idealWidth()) + 8, qMax(int(doc.size().height()), opt.fontMetrics.height() + 6));
}

} // namespace es
