#include "rowdiffmodel.h"

#include "readmodelmodel.h"

#include <QColor>

using namespace Qt::StringLiterals;

namespace es {

RowDiffModel::RowDiffModel(QObject *parent)
    : RowTableModel<RowChange>(parent)
{
    setHeaders({tr("Change"), tr("Key"), tr("Live (before)"), tr("Rebuilt (after)")},
               {tr("Added, removed or changed by the rebuild"), tr("The row's key"),
                tr("The live row's fields that differ"), tr("The rebuilt row's fields that differ")});
}

QString RowDiffModel::describe(const QJsonObject &side, const QJsonObject &other)
{
    QStringList parts;
    for (auto it = side.constBegin(); it != side.constEnd(); ++it) {
        if (!other.isEmpty() && other.value(it.key()) == it.value())
            continue;
        parts.append(it.key() + u": "_s + ReadModelModel::displayValue(it.value()));
    }
    // Fields only the other side has.
    if (!other.isEmpty()) {
        for (auto it = other.constBegin(); it != other.constEnd(); ++it) {
            if (!side.contains(it.key()))
                parts.append(it.key() + u": –"_s);
        }
    }
    return parts.join(u", "_s);
}

QVariant RowDiffModel::rowData(const RowChange &c, int column, int role) const
{
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (column) {
        case ChangeColumn:
            return c.kind == RowChange::Kind::Added ? tr("+ added")
                                                    : (c.kind == RowChange::Kind::Removed ? tr("− removed")
                                                                                          : tr("~ changed"));
        case KeyColumn:
            return c.key;
        case BeforeColumn:
            return describe(c.before, c.kind == RowChange::Kind::Changed ? c.after : QJsonObject());
        case AfterColumn:
            return describe(c.after, c.kind == RowChange::Kind::Changed ? c.before : QJsonObject());
        default:
            return {};
        }
    }
    if (role == Qt::ForegroundRole && column == ChangeColumn) {
        switch (c.kind) {
        case RowChange::Kind::Added:
            return QColor(0x2e, 0x7d, 0x32);
        case RowChange::Kind::Removed:
            return QColor(0xc6, 0x28, 0x28);
        case RowChange::Kind::Changed:
            return QColor(0x15, 0x65, 0xc0);
        }
    }
    return {};
}

} // namespace es
