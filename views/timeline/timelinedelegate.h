#pragma once

#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

namespace es {

// Paints the timeline's cells: the event type as a coloured chip, a stripe of
// the same hue at the start of each row, and one line of plain text elsewhere.
//
// Text shaping is most of a table repaint (dozens of rows, eight columns),
// and a log's cells never change: each text is shaped once into a
// QStaticText and redrawn from it.
class TimelineDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit TimelineDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    // The full-text search's terms (lower case, each a word prefix): marked in the payload column.
    void setHighlightTerms(const QStringList &terms) { m_terms = terms; }
    // Where the terms start words in text: (start, length) pairs, in order, not overlapping.
    static QList<QPair<int, int>> matches(const QString &text, const QStringList &terms);

private:
    struct Shaped {
        int available = 0; // the width it was fitted to
        QStaticText shown; // elided when needed
        int width = 0;     // of `shown`
    };
    const Shaped &shaped(int column, const QString &text, int available, const QFont &font) const;
    void paintHighlighted(QPainter *painter, const QString &text, const QRect &cell, int top, const QFont &font,
                          const QColor &textColour) const;

    QStringList m_terms;

    // Per column, by text: types, actors, streams and versions repeat from row
    // to row, so even a screen of new rows (following live) reuses most cells.
    mutable QList<QHash<QString, Shaped>> m_cache;
};

} // namespace es
