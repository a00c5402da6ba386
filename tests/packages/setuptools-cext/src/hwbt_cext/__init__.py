from hwbt_cext._native import answer
