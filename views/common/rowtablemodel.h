#pragma once

#include <QAbstractTableModel>
#include <QList>
#include <QStringList>

#include <utility>

namespace es {

// The index/rowCount/header bookkeeping of a flat table whose rows are value
// types, written once. Subclasses only say what a cell shows (rowData) and
// change rows through the helpers, which emit the fine-grained signals
// (rowsInserted, dataChanged) that keep views and proxies incremental; only
// setRows() resets.
template <typename Row>
class RowTableModel : public QAbstractTableModel {
public:
    explicit RowTableModel(QObject *parent = nullptr)
        : QAbstractTableModel(parent)
    {
    }

    int rowCount(const QModelIndex &parent = {}) const override { return parent.isValid() ? 0 : int(m_rows.size()); }
    int columnCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_headers.size());
    }

    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override
    {
        if (orientation != Qt::Horizontal || section < 0 || section >= m_headers.size())
            return QAbstractTableModel::headerData(section, orientation, role);
        if (role == Qt::DisplayRole)
            return m_headers.at(section);
        if (role == Qt::ToolTipRole && section < m_headerTips.size() && !m_headerTips.at(section).isEmpty())
            return m_headerTips.at(section);
        return {};
    }

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override
    {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        return rowData(m_rows.at(index.row()), index.column(), role);
    }

    const Row &rowAt(int row) const { return m_rows.at(row); }
    const QList<Row> &rows() const { return m_rows; }

    // Replaces everything: for a new source (another store, another query), not for live updates.
    void setRows(QList<Row> rows)
    {
        beginResetModel();
        m_rows = std::move(rows);
        rowsReplaced();
        endResetModel();
    }

    void appendRows(const QList<Row> &rows)
    {
        if (rows.isEmpty())
            return;
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(rows.size()) - 1);
        m_rows.append(rows);
        rowsAppended(first);
        endInsertRows();
    }

    // Older rows above the ones shown (a log opened at its newest end).
    void prependRows(const QList<Row> &rows)
    {
        if (rows.isEmpty())
            return;
        beginInsertRows({}, 0, int(rows.size()) - 1);
        m_rows = rows + m_rows;
        rowsReplaced();
        endInsertRows();
    }

    void replaceRow(int row, const Row &value)
    {
        m_rows[row] = value;
        rowChanged(row);
    }

protected:
    void setHeaders(const QStringList &headers, const QStringList &tips = {})
    {
        m_headers = headers;
        m_headerTips = tips;
    }
    // One cell of one row; the index has been checked.
    virtual QVariant rowData(const Row &row, int column, int role) const = 0;
    // Hooks for subclasses that keep lookups (row of a key) in step with the rows.
    virtual void rowsReplaced() {}
    virtual void rowsAppended(int first) { Q_UNUSED(first); }

    Row &mutableRow(int row) { return m_rows[row]; }
    void rowChanged(int row)
    {
        Q_EMIT dataChanged(index(row, 0), index(row, columnCount() - 1));
    }

private:
    QList<Row> m_rows;
    QStringList m_headers;
    QStringList m_headerTips;
};

} // namespace es
