#pragma once

#include "common/rowtablemodel.h"
#include "domaincompare.h"

namespace es {

// The results of a domain compare: one row per stream.
class DivergenceModel : public RowTableModel<StreamDivergence> {
    Q_OBJECT
public:
    enum Column { StreamColumn, StatusColumn, VersionColumn, EventTypeColumn, PathsColumn, AggregateColumn,
                  EventsColumn };
    enum Role { StatusRole = Qt::UserRole + 1, PositionRole, SortRole };

    explicit DivergenceModel(QObject *parent = nullptr);

protected:
    QVariant rowData(const StreamDivergence &row, int column, int role) const override;
};

} // namespace es
