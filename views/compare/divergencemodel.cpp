#include "divergencemodel.h"

#include <QColor>

using namespace Qt::StringLiterals;

namespace es {

DivergenceModel::DivergenceModel(QObject *parent)
    : RowTableModel<StreamDivergence>(parent)
{
    setHeaders({tr("Stream"), tr("Status"), tr("First divergent version"), tr("Event type"), tr("Differing paths"),
                tr("Aggregate"), tr("Events")},
               {QString(), tr("equal: the same state after every event; differs: the states part; error: a pack "
                              "failed on an event"),
                tr("The first version after which the two packs' states differ (or the event that failed)"),
                QString(), tr("Where the states differ right after that event"), QString(),
                tr("Events replayed")});
}

QVariant DivergenceModel::rowData(const StreamDivergence &d, int column, int role) const
{
    using S = StreamDivergence::Status;
    switch (role) {
    case StatusRole:
        return int(d.status);
    case PositionRole:
        return d.position;
    case Qt::BackgroundRole:
        if (column == StatusColumn)
            return d.status == S::Differs ? QColor(255, 236, 179)
                 : d.status == S::Error   ? QColor(248, 215, 215)
                                          : QColor(214, 240, 214);
        return {};
    case Qt::ToolTipRole:
        if (d.status == S::Error)
            return d.error;
        if (column == PathsColumn)
            return d.paths.join(u'\n');
        return {};
    case SortRole:
        switch (column) {
        case VersionColumn:
            return d.status == S::Equal ? -1 : d.version;
        case EventsColumn:
            return d.events;
        case StatusColumn:
            return int(d.status);
        default:
            break;
        }
        [[fallthrough]];
    case Qt::DisplayRole:
        switch (column) {
        case StreamColumn:
            return d.stream;
        case StatusColumn:
            return StreamDivergence::statusName(d.status);
        case VersionColumn:
            return d.status == S::Equal || (d.status == S::Error && d.version == 0) ? QVariant()
                                                                                      : QVariant(d.version);
        case EventTypeColumn:
            return d.status == S::Equal ? QString() : d.eventType;
        case PathsColumn:
            return d.status == S::Error ? d.error : d.paths.join(u", "_s);
        case AggregateColumn:
            return d.aggregate;
        case EventsColumn:
            return d.events;
        default:
            return {};
        }
    default:
        return {};
    }
}

} // namespace es
