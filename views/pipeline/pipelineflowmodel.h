#pragma once

#include "pipelinetrace.h"

#include <QAbstractTableModel>
#include <QList>

namespace es {

// The recent command flows the pipeline view has seen, newest last, with their
// outcome, where they stopped, their stage timings and what caused them.
// Bounded: the oldest rows go when MaxRows is reached.
class PipelineFlowModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { SerialColumn, CommandColumn, StreamColumn, ResultColumn, TimeColumn, CauseColumn, ColumnCount };
    enum Role { SerialRole = Qt::UserRole + 1, FirstPositionRole };
    static constexpr int MaxRows = 200;

    struct Row {
        int serial = 0; // the player's serial; 0 when it was skipped
        bool external = false;
        PipelineTrace trace;
    };

    explicit PipelineFlowModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void append(const Row &row);
    void clear();
    const Row &rowAt(int row) const { return m_rows.at(row); }
    int rowOfSerial(int serial) const;

    // "rejected at Aggregate", "→ Balances, CreditTransfer" (translated).
    static QString describeResult(const PipelineTrace &trace);
    static QString describeCause(const PipelineTrace &trace);

private:
    QList<Row> m_rows;
};

} // namespace es
