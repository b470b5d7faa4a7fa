#pragma once

#include "common/rowtablemodel.h"
#include "projectiontypes.h"

namespace es {

// Ranked hits of a search projection: key, rank (bm25, lower is better) and
// the snippet (HTML, matches in <mark>) for HtmlDelegate.
class SearchHitsModel : public RowTableModel<SearchHit> {
    Q_OBJECT
public:
    enum Column { KeyColumn, RankColumn, SnippetColumn, ColumnCount }; // RankColumn shows the score, -rank
    explicit SearchHitsModel(QObject *parent = nullptr);

protected:
    QVariant rowData(const SearchHit &row, int column, int role) const override;
};

} // namespace es
