#pragma once

#include "projectiontypes.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QHash>
#include <QTimer>

namespace es {

class ReadStore;

// The rows of one projection's read model (table rows, search documents or
// pages), a page at a time through keyset paging (fetchMore: never a whole
// table). Rows that events change are updated in place, inserted where they
// sort, or removed, and briefly highlighted (a fading background).
class ReadModelModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int PageSize = 200;
    static constexpr int HighlightMs = 1500;
    // Beyond this many keys in one change notice, the loaded rows are re-read instead.
    static constexpr int MaxKeysPerUpdate = 500;

    explicit ReadModelModel(QObject *parent = nullptr);

    // Shows `schema`'s live rows from `store` (null: nothing), sorted and filtered by `query`.
    void setSource(ReadStore *store, const ProjectionSchema &schema, const ListQuery &query = {});
    void clear();
    // Re-reads the rows loaded so far (after a swap, or on demand).
    void refresh();
    // Rows or documents written or deleted: re-read those keys.
    void applyChanges(const QStringList &keys);

    QString projection() const { return m_schema.name; }
    const ProjectionSchema &schema() const { return m_schema; }
    const ListQuery &query() const { return m_query; }
    QString error() const { return m_error; }
    bool isComplete() const { return m_cursor.isEmpty(); }
    int rowOfKey(const QString &key) const;
    const ReadRow &rowAt(int row) const { return m_rows.at(row); }
    // 1 just changed, fading to 0.
    double highlight(int row) const;
    // The value column (a JSON field name) a model column shows; empty for the key and position.
    QString fieldOf(int column) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    static QString displayValue(const QJsonValue &value);

Q_SIGNALS:
    void loadFailed(const QString &message);
    void rowsLoaded(); // a page arrived, or the rows were re-read

private:
    bool lessThan(const ReadRow &a, const ReadRow &b) const;
    void fail(const QString &message);
    void tickHighlights();
    void markChanged(const QString &key);
    void resort(int row);
    void endReset(); // moves a changed row to where it sorts now

    ReadStore *m_store = nullptr;
    ProjectionSchema m_schema;
    ListQuery m_query;
    QStringList m_fields; // the value fields shown, in order
    QList<ReadRow> m_rows;
    QString m_cursor;
    QString m_error;
    QHash<QString, qint64> m_changedAt; // key -> m_clock time of its last change
    QElapsedTimer m_clock;
    QTimer m_fadeTimer;
    bool m_resetting = false;
};

} // namespace es
