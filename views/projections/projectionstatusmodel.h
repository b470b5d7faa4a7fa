#pragma once

#include "common/rowtablemodel.h"
#include "projectiontypes.h"

#include <QColor>

namespace es {

// One row per projection: name, kind, state (coloured), position, lag in
// events and seconds, throughput and delay; updated in place as statuses arrive.
class ProjectionStatusModel : public RowTableModel<ProjectionStatus> {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        KindColumn,
        StateColumn,
        PositionColumn,
        LagEventsColumn,
        LagSecondsColumn,
        RateColumn,
        DelayColumn,
        ColumnCount
    };

    explicit ProjectionStatusModel(QObject *parent = nullptr);

    // Updates the projection's row (dataChanged), or appends it.
    void upsert(const ProjectionStatus &status);
    int rowOf(const QString &name) const;
    // Descriptions from the pack, shown as tooltips on the name.
    void setDescriptions(const QHash<QString, QString> &descriptions) { m_descriptions = descriptions; }

    static QColor stateColor(ProjectionState state);
    static QString stateText(const ProjectionStatus &status);

protected:
    QVariant rowData(const ProjectionStatus &row, int column, int role) const override;

private:
    QHash<QString, QString> m_descriptions;
};

} // namespace es
