#include "searchhitsmodel.h"

#include <QTextDocumentFragment>

namespace es {

SearchHitsModel::SearchHitsModel(QObject *parent)
    : RowTableModel<SearchHit>(parent)
{
    setHeaders({tr("Key"), tr("Score"), tr("Snippet")},
               {tr("The document's key"), tr("Relevance (bm25, negated): higher is more relevant; hits are in this order"),
                tr("The matching text, matches highlighted")});
}

QVariant SearchHitsModel::rowData(const SearchHit &hit, int column, int role) const
{
    if (role == Qt::DisplayRole) {
        switch (column) {
        case KeyColumn:
            return hit.key;
        case RankColumn:
            return QString::number(-hit.rank, 'g', 3);
        case SnippetColumn:
            return hit.snippet; // HTML
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole && column == SnippetColumn)
        return QTextDocumentFragment::fromHtml(hit.snippet).toPlainText();
    if (role == Qt::TextAlignmentRole && column == RankColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

} // namespace es
