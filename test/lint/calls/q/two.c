/* SPDX-License-Identifier: Apache-2.0 */
int p_three(int n);
int q_two(int n)
{
	return p_three(n) * 2;
}
