#include "statechangesmodel.h"

#include "common/jsontreemodel.h"

#include <QBrush>
#include <QColor>

namespace es {

StateChangesModel::StateChangesModel(QObject *parent)
    : RowTableModel<PathChange>(parent)
{
    setHeaders({tr("Path"), tr("Change"), tr("Before"), tr("After")},
               {tr("Where in the state"), tr("Added, removed or changed by this event"),
                tr("The value before the event"), tr("The value after the event")});
}

QVariant StateChangesModel::rowData(const PathChange &row, int column, int role) const
{
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (column) {
        case PathColumn:
            return row.path;
        case ChangeColumn:
            return changeKindName(row.kind);
        case BeforeColumn:
            return row.kind == PathChange::Added ? QString() : JsonTreeModel::displayText(row.before);
        case AfterColumn:
            return row.kind == PathChange::Removed ? QString() : JsonTreeModel::displayText(row.after);
        default:
            return {};
        }
    }
    if (role == Qt::ForegroundRole && column == ChangeColumn) {
        switch (row.kind) {
        case PathChange::Added:
            return QBrush(QColor(0x2e, 0x7d, 0x32));
        case PathChange::Removed:
            return QBrush(QColor(0xc6, 0x28, 0x28));
        case PathChange::Changed:
            return QBrush(QColor(0xb2, 0x6a, 0x00));
        }
    }
    return {};
}

} // namespace es
