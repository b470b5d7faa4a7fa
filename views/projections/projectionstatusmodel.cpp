#include "projectionstatusmodel.h"

#include <QLocale>

using namespace Qt::StringLiterals;

namespace es {

ProjectionStatusModel::ProjectionStatusModel(QObject *parent)
    : RowTableModel<ProjectionStatus>(parent)
{
    setHeaders({tr("Projection"), tr("Kind"), tr("State"), tr("Position"), tr("Lag (events)"), tr("Lag (s)"),
                tr("Events/s"), tr("Delay")},
               {tr("The projection's name in the pack"), tr("table, search or page"),
                tr("Running, Paused, Rebuilding or Failed"),
                tr("The checkpoint: the last event applied (or skipped)"),
                tr("Events in the log that this projection has not applied yet"),
                tr("Age of the oldest event not applied yet"), tr("Recent throughput: events of the log per second while applying them (a catch-up shows its speed)"),
                tr("Artificial delay before new events are applied (eventual consistency)")});
}

int ProjectionStatusModel::rowOf(const QString &name) const
{
    for (int r = 0; r < rowCount(); ++r) {
        if (rowAt(r).name == name)
            return r;
    }
    return -1;
}

void ProjectionStatusModel::upsert(const ProjectionStatus &status)
{
    const int row = rowOf(status.name);
    if (row < 0)
        appendRows({status});
    else
        replaceRow(row, status);
}

QColor ProjectionStatusModel::stateColor(ProjectionState state)
{
    switch (state) {
    case ProjectionState::Running:
        return QColor(0x2e, 0x7d, 0x32);
    case ProjectionState::Paused:
        return QColor(0xb2, 0x6a, 0x00);
    case ProjectionState::Rebuilding:
        return QColor(0x15, 0x65, 0xc0);
    case ProjectionState::Failed:
        return QColor(0xc6, 0x28, 0x28);
    }
    return {};
}

QString ProjectionStatusModel::stateText(const ProjectionStatus &status)
{
    switch (status.state) {
    case ProjectionState::Running:
        return status.lagEvents > 0 ? tr("● catching up") : tr("● running");
    case ProjectionState::Paused:
        return tr("❚❚ paused");
    case ProjectionState::Rebuilding:
        return status.shadowReady ? tr("⟳ rebuilt, awaiting swap") : tr("⟳ rebuilding");
    case ProjectionState::Failed:
        return tr("✘ failed");
    }
    return {};
}

QVariant ProjectionStatusModel::rowData(const ProjectionStatus &s, int column, int role) const
{
    const QLocale locale;
    if (role == Qt::DisplayRole) {
        switch (column) {
        case NameColumn:
            return s.name;
        case KindColumn:
            return projectionKindName(s.kind);
        case StateColumn:
            return stateText(s);
        case PositionColumn:
            return locale.toString(s.position);
        case LagEventsColumn:
            return locale.toString(s.lagEvents);
        case LagSecondsColumn:
            return s.lagSeconds > 0 ? locale.toString(s.lagSeconds, 'f', s.lagSeconds < 10 ? 1 : 0) : u"0"_s;
        case RateColumn:
            return s.eventsPerSecond > 0 ? locale.toString(s.eventsPerSecond, 'f', s.eventsPerSecond < 10 ? 1 : 0)
                                         : u"–"_s;
        case DelayColumn:
            return s.delayMs > 0 ? tr("%1 ms").arg(locale.toString(s.delayMs)) : u"–"_s;
        default:
            return {};
        }
    }
    if (role == Qt::UserRole) { // sortable raw values
        switch (column) {
        case PositionColumn:
            return s.position;
        case LagEventsColumn:
            return s.lagEvents;
        case LagSecondsColumn:
            return s.lagSeconds;
        case RateColumn:
            return s.eventsPerSecond;
        default:
            return rowData(s, column, Qt::DisplayRole);
        }
    }
    if (role == Qt::ForegroundRole && column == StateColumn)
        return stateColor(s.state);
    if (role == Qt::ForegroundRole && column == LagEventsColumn && s.lagEvents > 0)
        return QColor(0xb2, 0x6a, 0x00);
    if (role == Qt::TextAlignmentRole && column >= PositionColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (column == NameColumn)
            return m_descriptions.value(s.name);
        if (column == StateColumn && !s.lastError.isEmpty())
            return s.lastError;
        if (column == StateColumn && !s.rebuildError.isEmpty())
            return tr("Last rebuild: %1").arg(s.rebuildError);
        if (column == PositionColumn)
            return tr("Checkpoint %1 of head %2").arg(s.position).arg(s.head);
    }
    return {};
}

} // namespace es
