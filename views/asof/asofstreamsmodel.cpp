#include "asofstreamsmodel.h"

#include "common/jsontreemodel.h"

#include <QDateTime>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace es {

AsOfStreamsModel::AsOfStreamsModel(QObject *parent)
    : RowTableModel<AsOfStream>(parent)
{
    setHeaders({tr("Stream"), tr("Type"), tr("Version"), tr("Last event"), tr("Last activity (UTC)")},
               {tr("The stream id"), tr("The aggregate type"), tr("The stream's version at the as-of position"),
                tr("Global position of its last event at or before the as-of position"),
                tr("When that event was recorded")});
}

QVariant AsOfStreamsModel::rowData(const AsOfStream &row, int column, int role) const
{
    if (role == Qt::DisplayRole) {
        switch (column) {
        case StreamColumn:
            return row.stream;
        case TypeColumn:
            return row.type;
        case VersionColumn:
            return row.version;
        case LastPositionColumn:
            return row.lastPosition;
        case LastActivityColumn:
            return QDateTime::fromMSecsSinceEpoch(row.lastMs, Qt::UTC).toString(u"yyyy-MM-dd HH:mm:ss"_s);
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole && (column == VersionColumn || column == LastPositionColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::UserRole) // sort keys
        return column == LastActivityColumn ? QVariant(row.lastMs) : rowData(row, column, Qt::DisplayRole);
    return {};
}

AsOfRowsModel::AsOfRowsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void AsOfRowsModel::setRows(const QJsonArray &rows)
{
    beginResetModel();
    m_rows = rows;
    m_fields.clear();
    for (const QJsonValue &r : rows) {
        const QJsonValue v = r.toObject().value(u"value"_s);
        if (!v.isObject())
            continue;
        const QJsonObject o = v.toObject();
        for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
            if (!m_fields.contains(it.key()))
                m_fields << it.key();
        }
    }
    endResetModel();
}

int AsOfRowsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AsOfRowsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 2 + int(qMax<qsizetype>(1, m_fields.size()));
}

QVariant AsOfRowsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole && role != Qt::TextAlignmentRole)
        return {};
    const QJsonObject row = m_rows.at(index.row()).toObject();
    QJsonValue value;
    if (index.column() == 0)
        value = row.value(u"key"_s);
    else if (index.column() == 1)
        value = row.value(u"position"_s);
    else if (m_fields.isEmpty())
        value = row.value(u"value"_s);
    else
        value = row.value(u"value"_s).toObject().value(m_fields.at(index.column() - 2));
    if (role == Qt::TextAlignmentRole)
        return value.isDouble() ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    return value.isString() ? value.toString() : JsonTreeModel::displayText(value);
}

QVariant AsOfRowsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (section == 0)
        return tr("Key");
    if (section == 1)
        return tr("Position");
    return m_fields.isEmpty() ? tr("Value") : m_fields.value(section - 2);
}

} // namespace es
