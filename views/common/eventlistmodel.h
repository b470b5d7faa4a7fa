#pragma once

#include "rowtablemodel.h"
#include "types.h"

namespace es {

// A short list of events (a stream's latest, a command's output): position,
// stream, version, type, time and the data in one line.
class EventListModel : public RowTableModel<RecordedEvent> {
    Q_OBJECT
public:
    enum Column { PositionColumn, StreamColumn, VersionColumn, TypeColumn, RecordedColumn, DataColumn };
    enum Role { PositionRole = Qt::UserRole + 1 };

    explicit EventListModel(QObject *parent = nullptr);

    // The data as compact JSON, cut to a readable length.
    static QString dataSummary(const RecordedEvent &event, int maxLength = 160);

protected:
    QVariant rowData(const RecordedEvent &event, int column, int role) const override;
};

} // namespace es
