#include "timelinetable.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QScrollBar>

#include <algorithm>

namespace es {

TimelineTable::TimelineTable(QWidget *parent)
    : QTableView(parent)
{
}

void TimelineTable::syncGeometries()
{
    updateGeometries();
}

// From the scroll value (one row per step, fixed row heights) rather than
// rowAt(): that stays right while rows come and go above the viewport and
// the header catches up at the next layout.
int TimelineTable::firstVisibleRow() const
{
    const int rows = model() ? model()->rowCount() : 0;
    if (rows == 0)
        return -1;
    return std::clamp(verticalScrollBar()->value(), 0, rows - 1);
}

int TimelineTable::lastVisibleRow() const
{
    const int first = firstVisibleRow();
    if (first < 0)
        return -1;
    return std::min(model()->rowCount() - 1, first + visibleRowCapacity() - 1);
}

int TimelineTable::visibleRowCapacity() const
{
    const int h = verticalHeader()->defaultSectionSize();
    return h > 0 ? std::max(1, viewport()->height() / h) : 1;
}

void TimelineTable::wheelEvent(QWheelEvent *event)
{
    QTableView::wheelEvent(event);
    Q_EMIT userScrolled();
}

void TimelineTable::keyPressEvent(QKeyEvent *event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        if (event->key() == Qt::Key_Home) {
            Q_EMIT logStartRequested();
            event->accept();
            return;
        }
        if (event->key() == Qt::Key_End) {
            Q_EMIT logEndRequested();
            event->accept();
            return;
        }
    }
    QTableView::keyPressEvent(event);
    switch (event->key()) {
    case Qt::Key_Up:
    case Qt::Key_Down:
    case Qt::Key_PageUp:
    case Qt::Key_PageDown:
    case Qt::Key_Home:
    case Qt::Key_End:
        Q_EMIT userScrolled();
        break;
    default:
        break;
    }
}

} // namespace es
