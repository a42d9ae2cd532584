/* SPDX-License-Identifier: Apache-2.0 */
int p_three(int n)
{
	return n + 3;
}
