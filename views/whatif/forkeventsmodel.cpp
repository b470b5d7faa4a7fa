#include "forkeventsmodel.h"

#include "common/eventlistmodel.h"
#include "eventstore.h"

#include <QColor>
#include <QFont>

using namespace Qt::StringLiterals;

namespace es {

ForkEventsModel::ForkEventsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ForkEventsModel::setFork(EventStore *original, qint64 position, const QSet<qint64> &skipped,
                              const EventList &newEvents)
{
    beginResetModel();
    m_original = original;
    m_position = original ? position : 0;
    m_skipped = skipped;
    m_new = newEvents;
    m_pages.clear();
    endResetModel();
}

void ForkEventsModel::clear()
{
    setFork(nullptr, 0, {}, {});
}

void ForkEventsModel::setSkipped(const QSet<qint64> &skipped)
{
    const QSet<qint64> changed = (m_skipped - skipped) + (skipped - m_skipped);
    m_skipped = skipped;
    for (qint64 p : changed) {
        const int row = rowOfPosition(p);
        if (row >= 0)
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
}

int ForkEventsModel::rowOfPosition(qint64 position) const
{
    return position >= 1 && position <= m_position ? int(position - 1) : -1;
}

const RecordedEvent *ForkEventsModel::original(qint64 position) const
{
    if (!m_original || position < 1 || position > m_position)
        return nullptr;
    const qint64 page = (position - 1) / PageSize;
    auto it = m_pages.find(page);
    if (it == m_pages.end()) {
        if (m_pages.size() >= MaxPages)
            m_pages.clear();
        auto events = m_original->readForward(page * PageSize + 1, PageSize);
        it = m_pages.insert(page, events ? *events : EventList{});
    }
    const qint64 offset = position - 1 - page * PageSize;
    if (offset >= it->size() || it->at(offset).position != position)
        return nullptr;
    return &it->at(offset);
}

RecordedEvent ForkEventsModel::eventAt(int row) const
{
    if (row < 0)
        return {};
    if (row < m_position) {
        const RecordedEvent *e = original(row + 1);
        return e ? *e : RecordedEvent{};
    }
    const qint64 i = row - m_position;
    return i < m_new.size() ? m_new.at(i) : RecordedEvent{};
}

int ForkEventsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_position + m_new.size());
}

int ForkEventsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ForkEventsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const bool fresh = isNew(row);
    const RecordedEvent *e = nullptr;
    RecordedEvent newEvent;
    if (fresh) {
        newEvent = eventAt(row);
        e = &newEvent;
    } else {
        e = original(row + 1);
    }
    const qint64 position = fresh ? e->position : row + 1;
    const bool skipped = !fresh && m_skipped.contains(position);
    switch (role) {
    case PositionRole:
        return position;
    case StreamRole:
        return e ? e->stream : QString();
    case IsNewRole:
        return fresh;
    case Qt::CheckStateRole:
        if (index.column() == InForkColumn && !fresh)
            return skipped ? Qt::Unchecked : Qt::Checked;
        return {};
    case Qt::ForegroundRole:
        if (skipped)
            return QColor(150, 150, 150);
        if (fresh)
            return QColor(20, 110, 40);
        return {};
    case Qt::BackgroundRole:
        if (fresh)
            return QColor(225, 245, 228);
        return {};
    case Qt::FontRole:
        if (skipped) {
            QFont f;
            f.setStrikeOut(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == InForkColumn)
            return fresh ? tr("New in the fork: appended by a command issued here")
                         : skipped ? tr("Skipped: the fork is built without this event (check to restore it)")
                                   : tr("In the fork (uncheck to skip this event)");
        if (fresh)
            return tr("Only in the fork (position %1 in the fork)").arg(position);
        return {};
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    if (!e)
        return index.column() == PositionColumn ? QVariant(position) : QVariant();
    switch (index.column()) {
    case InForkColumn:
        return fresh ? tr("new") : QVariant();
    case PositionColumn:
        return position;
    case StreamColumn:
        return e->stream;
    case VersionColumn:
        return e->version;
    case TypeColumn:
        return e->type;
    case DataColumn:
        return EventListModel::dataSummary(*e, 120);
    default:
        return {};
    }
}

bool ForkEventsModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::CheckStateRole || index.column() != InForkColumn || !index.isValid() || isNew(index.row()))
        return false;
    const qint64 position = index.row() + 1;
    const bool included = value.toInt() == Qt::Checked;
    if (included == !m_skipped.contains(position))
        return true;
    if (included)
        m_skipped.remove(position);
    else
        m_skipped.insert(position);
    Q_EMIT dataChanged(this->index(index.row(), 0), this->index(index.row(), ColumnCount - 1));
    Q_EMIT inclusionToggled(position, included);
    return true;
}

Qt::ItemFlags ForkEventsModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == InForkColumn && !isNew(index.row()))
        f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant ForkEventsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::ToolTipRole && section == InForkColumn)
        return tr("Checked: the event is in the fork. Uncheck to skip it (the fork is rebuilt without it).");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case InForkColumn:
        return tr("In fork");
    case PositionColumn:
        return tr("Position");
    case StreamColumn:
        return tr("Stream");
    case VersionColumn:
        return tr("Version");
    case TypeColumn:
        return tr("Type");
    case DataColumn:
        return tr("Data");
    default:
        return {};
    }
}

} // namespace es
