#pragma once

#include "asof.h"
#include "common/rowtablemodel.h"

namespace es {

// The streams as they stood at the as-of position.
class AsOfStreamsModel : public RowTableModel<AsOfStream> {
    Q_OBJECT
public:
    enum Column { StreamColumn, TypeColumn, VersionColumn, LastPositionColumn, LastActivityColumn };
    explicit AsOfStreamsModel(QObject *parent = nullptr);

protected:
    QVariant rowData(const AsOfStream &row, int column, int role) const override;
};

// A projection's rows as of a position: key, position, then one column per
// field of the row values (the union, in order of first appearance).
class AsOfRowsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit AsOfRowsModel(QObject *parent = nullptr);

    void setRows(const QJsonArray &rows);
    QJsonArray rows() const { return m_rows; }
    QStringList fields() const { return m_fields; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QJsonArray m_rows;
    QStringList m_fields; // value fields; empty: one "value" column
};

} // namespace es
