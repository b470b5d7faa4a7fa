#include "timelinedelegate.h"

#include "eventtypepalette.h"
#include "timelinemodel.h"

#include <QApplication>
#include <QPainter>
#include <QtMath>

namespace es {

namespace {
constexpr int ChipPadding = 6;
constexpr int StripeWidth = 4;
constexpr int TextMargin = 4;
// A few screens of cells; cleared wholesale when full (cheaper than an LRU).
constexpr int CacheCells = 2048; // per column
} // namespace

TimelineDelegate::TimelineDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

const TimelineDelegate::Shaped &TimelineDelegate::shaped(int column, const QString &text, int available,
                                                         const QFont &font) const
{
    if (m_cache.size() <= column)
        m_cache.resize(column + 1);
    QHash<QString, Shaped> &cache = m_cache[column];
    auto it = cache.find(text);
    if (it != cache.end() && (it->available == available || it->width <= std::min(available, it->available)))
        return *it;
    if (cache.size() >= CacheCells)
        cache.clear();
    Shaped s;
    s.available = available;
    s.shown.setTextFormat(Qt::PlainText);
    s.shown.setText(text);
    s.shown.prepare(QTransform(), font); // the one shaping; size() is then free
    s.width = qCeil(s.shown.size().width());
    if (s.width > available) {
        s.shown.setText(QFontMetrics(font).elidedText(text, Qt::ElideRight, available));
        s.shown.prepare(QTransform(), font);
        s.width = qCeil(s.shown.size().width());
    }
    return *cache.insert(text, s);
}

void TimelineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    // The panel is painted here rather than by the style (selection, alternate
    // rows): the style's item path lays the text out again for every cell.
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette::ColorGroup group = !(option.state & QStyle::State_Enabled) ? QPalette::Disabled
                                       : (option.state & QStyle::State_Active) ? QPalette::Normal
                                                                               : QPalette::Inactive;
    if (selected)
        painter->fillRect(option.rect, option.palette.brush(group, QPalette::Highlight));
    else if (option.features & QStyleOptionViewItem::Alternate)
        painter->fillRect(option.rect, option.palette.brush(group, QPalette::AlternateBase));

    const int column = index.column();
    const QString type = index.data(TimelineModel::EventTypeRole).toString();
    const QFontMetrics fm(option.font);
    const QRect cell = option.rect.adjusted(TextMargin, 0, -TextMargin, 0);
    const int top = cell.top() + (cell.height() - fm.height()) / 2;

    painter->save();
    if (column == TimelineModel::TypeColumn && !type.isEmpty()) {
        const Shaped &s = shaped(column, type, cell.width() - 2 * ChipPadding, option.font);
        QRect chip = option.rect.adjusted(2, 2, -2, -2);
        chip.setWidth(std::min(chip.width(), s.width + 2 * ChipPadding));
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(Qt::NoPen);
        painter->setBrush(EventTypePalette::background(type));
        painter->drawRoundedRect(chip, 4, 4);
        painter->setPen(QColor(25, 25, 25));
        painter->drawStaticText(QPoint(chip.left() + ChipPadding, top), s.shown);
    } else if (column == TimelineModel::PayloadColumn && !m_terms.isEmpty()) {
        paintHighlighted(painter, index.data(Qt::DisplayRole).toString(), cell, top, option.font,
                         option.palette.color(group, selected ? QPalette::HighlightedText : QPalette::Text));
    } else {
        const QString text = index.data(Qt::DisplayRole).toString();
        if (!text.isEmpty()) {
            const Shaped &s = shaped(column, text, cell.width(), option.font);
            painter->setPen(option.palette.color(group, selected ? QPalette::HighlightedText : QPalette::Text));
            const auto align = Qt::Alignment(index.data(Qt::TextAlignmentRole).toInt());
            const int x = (align & Qt::AlignRight) ? cell.right() + 1 - s.width : cell.left();
            painter->drawStaticText(QPoint(x, top), s.shown);
        }
    }
    if (column == TimelineModel::PositionColumn && !type.isEmpty())
        painter->fillRect(QRect(option.rect.left(), option.rect.top(), StripeWidth, option.rect.height()),
                          EventTypePalette::accent(type));
    painter->restore();

    if (option.state & QStyle::State_HasFocus) {
        QStyleOptionFocusRect focus;
        focus.QStyleOption::operator=(option);
        focus.rect = option.rect;
        focus.state |= QStyle::State_KeyboardFocusChange;
        focus.backgroundColor = option.palette.color(group, selected ? QPalette::Highlight : QPalette::Base);
        const QWidget *widget = option.widget;
        (widget ? widget->style() : QApplication::style())
            ->drawPrimitive(QStyle::PE_FrameFocusRect, &focus, painter, widget);
    }
}

QList<QPair<int, int>> TimelineDelegate::matches(const QString &text, const QStringList &terms)
{
    QList<QPair<int, int>> out;
    const QString folded = text.toLower();
    for (int i = 0; i < folded.size(); ++i) {
        if (i > 0 && folded.at(i - 1).isLetterOrNumber())
            continue; // a term matches at the start of a word, as the index does
        int longest = 0;
        for (const QString &t : terms)
            if (t.size() > longest && QStringView(folded).mid(i).startsWith(t))
                longest = int(t.size());
        if (longest > 0) {
            out.append({i, longest});
            i += longest - 1;
        }
    }
    return out;
}

void TimelineDelegate::paintHighlighted(QPainter *painter, const QString &text, const QRect &cell, int top,
                                        const QFont &font, const QColor &textColour) const
{
    // Drawn directly (no cache): only while a search is on, a screen of cells.
    const QFontMetrics fm(font);
    const QString shown = fm.elidedText(text, Qt::ElideRight, cell.width());
    painter->setFont(font);
    const int baseline = top + fm.ascent();
    int from = 0;
    auto plain = [&](int to) {
        if (to > from) {
            painter->setPen(textColour);
            painter->drawText(QPoint(cell.left() + fm.horizontalAdvance(shown.left(from)), baseline),
                              shown.mid(from, to - from));
        }
    };
    for (const auto &[start, length] : matches(shown, m_terms)) {
        plain(start);
        const int x = cell.left() + fm.horizontalAdvance(shown.left(start));
        const QString hit = shown.mid(start, length);
        painter->setPen(Qt::NoPen);
        painter->setBrush(QColor(255, 213, 79)); // amber, with dark text: readable on white and on the selection
        painter->drawRoundedRect(QRect(x - 1, top, fm.horizontalAdvance(hit) + 2, fm.height()), 2, 2);
        painter->setPen(QColor(25, 25, 25));
        painter->drawText(QPoint(x, baseline), hit);
        from = start + length;
    }
    plain(int(shown.size()));
}

QSize TimelineDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    if (index.column() == TimelineModel::TypeColumn)
        s.rwidth() += 2 * ChipPadding + 4;
    return s;
}

} // namespace es
